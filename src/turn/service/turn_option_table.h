// The table behind `peerkit turn`'s options: every coturn option name peerkit knows, with its
// short name, help text, whether it is implemented, ignored or removed, and how it sets
// TurnServiceConfig. Private to turn_options.cpp (and its tests).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "turn/service/config.h"

namespace peerkit::turn::option_table {

enum class Kind { kValue, kFlag };
enum class Support { kYes, kIgnored, kRemoved };

struct State {
  TurnServiceConfig& c;
  bool use_auth_secret = false;
};

// Returns an error text, or empty.
using Apply = std::function<std::string(State&, const std::string& value)>;

struct Spec {
  const char* name;
  const char* short_name;  // "" for none
  Kind kind;
  Support support;
  const char* help;
  Apply apply;
};

const std::vector<Spec>& specs();
const Spec* find_spec(std::string_view key);

}  // namespace peerkit::turn::option_table
