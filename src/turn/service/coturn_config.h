// Reading coturn's turnserver.conf with coturn's rules (../shared/specs/turn-server.md §2):
// one `key[=| |\t]value` per line, `#` comments at line start only, values optionally in
// double quotes, keys are the long option names. Booleans: no value = true; 0/n*/f*/off = false;
// y*/t*/1-9*/on = true; anything else is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerkit::turn {

struct ConfigLine {
  int line = 0;
  std::string key;
  std::string value;
  bool has_value = false;
};

struct ConfigFile {
  std::vector<ConfigLine> lines;
  std::vector<std::string> warnings;  // e.g. a line ending in ';'
};

ConfigFile parse_coturn_config(std::string_view text);
std::optional<bool> parse_coturn_bool(std::string_view value, bool has_value);

// coturn's search path for turnserver.conf when neither -c nor -n is given.
std::vector<std::string> coturn_config_search_path();

}  // namespace peerkit::turn
