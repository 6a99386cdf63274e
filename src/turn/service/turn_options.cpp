#include "turn/service/turn_options.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "turn/service/coturn_config.h"
#include "turn/service/turn_option_table.h"

namespace peerkit::turn {
namespace {

using namespace option_table;

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read configuration file '" + path + "'";
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string hostname_realm() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "peerkit";
  return buf;
}

}  // namespace

TurnSettings configure_turn(const TurnOptionValues& given) {
  TurnSettings result;
  State state{result.config};
  result.config.realm.clear();
  auto apply = [&](const Spec& spec, const std::string& value, const std::string& where) -> bool {
    if (spec.support == Support::kRemoved) {
      result.warnings.push_back(where + spec.name + ": removed option, ignored (" + spec.help +
                                ")");
      return true;
    }
    if (spec.support == Support::kIgnored) {
      result.warnings.push_back(where + spec.name + ": " + spec.help);
      return true;
    }
    if (auto e = spec.apply(state, value); !e.empty()) {
      result.error = where + e;
      return false;
    }
    return true;
  };

  // The file first (coturn: pass 1 without users, CLI, then users), command line overriding it.
  ConfigFile file;
  if (!given.no_config) {
    std::string path = given.config_path;
    if (path.empty()) {
      for (const auto& candidate : coturn_config_search_path())
        if (access(candidate.c_str(), R_OK) == 0) {
          path = candidate;
          break;
        }
    }
    if (!path.empty()) {
      std::string error;
      const std::string text = read_file(path, error);
      if (!error.empty()) {
        result.error = error;
        return result;
      }
      file = parse_coturn_config(text);
      result.config_file = path;
      for (const auto& w : file.warnings) result.warnings.push_back(path + ": " + w);
    }
  }
  auto apply_file = [&](bool users) {
    for (const auto& line : file.lines) {
      if ((line.key == "user") != users) continue;
      const std::string where = result.config_file + ":" + std::to_string(line.line) + ": ";
      const Spec* spec = find_spec(line.key);
      if (!spec) {
        result.warnings.push_back(where + "unknown option '" + line.key + "', ignored");
        continue;
      }
      if (spec->kind == Kind::kFlag && line.has_value && !parse_coturn_bool(line.value, true)) {
        result.error = where + line.key + ": '" + line.value + "' is not a boolean";
        return false;
      }
      if (spec->kind == Kind::kValue && !line.has_value) {
        result.error = where + line.key + " needs a value";
        return false;
      }
      if (!apply(*spec, line.value, where)) return false;
    }
    return true;
  };
  auto apply_cli = [&](bool users) {
    for (const auto& s : specs()) {
      if ((std::string_view(s.name) == "user") != users) continue;
      const auto it = given.values.find(s.name);
      if (it == given.values.end()) continue;
      for (const auto& v : it->second)
        if (!apply(s, v, "")) return false;
    }
    return true;
  };
  if (!apply_file(false) || !apply_cli(false) || !apply_file(true) || !apply_cli(true))
    return result;

  TurnServiceConfig& c = result.config;
  if (c.realm.empty()) c.realm = hostname_realm();
  if (c.min_port > c.max_port) {
    result.error = "min-port " + std::to_string(c.min_port) + " is above max-port " +
                   std::to_string(c.max_port);
    return result;
  }
  if (state.use_auth_secret && c.secrets.empty()) {
    result.error =
        "use-auth-secret needs static-auth-secret=SECRET (peerkit reads no secret database)";
    return result;
  }
  if (!state.use_auth_secret && !c.secrets.empty()) {
    result.warnings.push_back(
        "static-auth-secret given without use-auth-secret: REST credentials enabled anyway");
  }
  if (!c.server.no_auth && c.users.empty() && c.secrets.empty()) {
    result.error =
        "no credentials: give user=NAME:PASSWORD, or use-auth-secret with "
        "static-auth-secret=SECRET, "
        "or no-auth to run an open relay on purpose";
    return result;
  }
  if (c.server.no_auth && (!c.users.empty() || !c.secrets.empty())) {
    result.error = "no-auth contradicts the user/static-auth-secret options given";
    return result;
  }
  if (c.cert_file.empty() != c.key_file.empty()) {
    result.error = "TLS needs both cert and pkey";
    return result;
  }
  if (c.cert_file.empty()) c.tls = false;
  if (!c.udp && !c.tcp && !c.tls) {
    result.error = "every listener is off (no-udp, no-tcp, and no TLS certificate or no-tls)";
    return result;
  }
  if (c.server.stun_only && c.server.no_stun) {
    result.error = "stun-only and no-stun together leave nothing to serve";
    return result;
  }
  return result;
}

}  // namespace peerkit::turn
