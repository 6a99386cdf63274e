#include "turn/service/coturn_config.h"

namespace peerkit::turn {

ConfigFile parse_coturn_config(std::string_view text) {
  ConfigFile out;
  int number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++number;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.back() == ';')
      out.warnings.push_back("line " + std::to_string(number) +
                             ": trailing ';' is part of the value");
    const auto key_end = line.find_first_of(" =\t");
    ConfigLine l;
    l.line = number;
    l.key = std::string(line.substr(0, key_end));
    if (key_end != std::string_view::npos) {
      std::string_view value = line.substr(key_end);
      while (!value.empty() &&
             (value.front() == ' ' || value.front() == '=' || value.front() == '\t'))
        value.remove_prefix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      l.value = std::string(value);
      l.has_value = !l.value.empty();
    }
    out.lines.push_back(std::move(l));
  }
  return out;
}

std::optional<bool> parse_coturn_bool(std::string_view v, bool has_value) {
  if (!has_value || v.empty()) return true;
  if (v == "off" || v == "0") return false;
  if (v == "on") return true;
  const char c = v.front();
  if (c == 'n' || c == 'N' || c == 'f' || c == 'F') return false;
  if (c == 'y' || c == 'Y' || c == 't' || c == 'T' || (c >= '1' && c <= '9')) return true;
  return std::nullopt;
}

std::vector<std::string> coturn_config_search_path() {
  std::vector<std::string> out;
  for (const char* dir :
       {"./", "./turnserver/", "./coturn/", "./etc/", "./etc/turnserver/", "./etc/coturn/",
        "../etc/", "../etc/turnserver/", "../etc/coturn/", "/etc/", "/etc/turnserver/",
        "/etc/coturn/", "/usr/local/etc/", "/usr/local/etc/turnserver/", "/usr/local/etc/coturn/"})
    out.push_back(std::string(dir) + "turnserver.conf");
  return out;
}

}  // namespace peerkit::turn
