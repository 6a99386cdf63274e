#include "turn/service/turn_options.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
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

TurnCommandLine parse_turn_command_line(const std::vector<std::string>& args) {
  TurnCommandLine result;
  CLI::App app{
      "peerkit turn: a STUN/TURN server (RFC 8489, RFC 8656) that reads coturn's options and\n"
      "turnserver.conf. Secure by default: credentials required, loopback/private/metadata peers\n"
      "denied, no SOFTWARE attribute or reason phrases, unauthenticated answers rate limited.",
      args.empty() ? "peerkit turn" : args[0]};
  app.get_formatter()->column_width(44);
  std::map<std::string, std::vector<std::string>> values;  // per option, every occurrence
  std::string config_path;
  bool no_config = false;
  app.add_option("-c", config_path, "configuration file in turnserver.conf format");
  app.add_flag("-n", no_config,
               "read no configuration file (otherwise the coturn search path is used)");
  for (const auto& s : specs()) {
    std::string names = std::string("--") + s.name;
    if (*s.short_name) names += std::string(",-") + s.short_name;
    std::string help = s.help;
    if (s.support == Support::kRemoved) help = "[removed] " + help;
    if (s.support == Support::kIgnored) help = "[not used] " + help;
    // Flags take an optional value like coturn's file does: --fingerprint, --fingerprint=off.
    app.add_option(names, values[s.name], help)
        ->expected(s.kind == Kind::kValue ? 1 : 0, 1)
        ->type_name(s.kind == Kind::kValue ? "VALUE" : "[=on|off]")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    result.outcome = TurnCommandLine::Outcome::kHelp;
    result.message = app.help();
    return result;
  } catch (const CLI::ParseError& e) {
    result.message = e.what();
    return result;
  }

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
      result.message = where + e;
      return false;
    }
    return true;
  };

  // The file first (coturn: pass 1 without users, CLI, then users), command line overriding it.
  ConfigFile file;
  if (!no_config) {
    std::string path = config_path;
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
        result.message = error;
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
        result.message = where + line.key + ": '" + line.value + "' is not a boolean";
        return false;
      }
      if (spec->kind == Kind::kValue && !line.has_value) {
        result.message = where + line.key + " needs a value";
        return false;
      }
      if (!apply(*spec, line.value, where)) return false;
    }
    return true;
  };
  auto apply_cli = [&](bool users) {
    for (const auto& s : specs()) {
      if ((std::string_view(s.name) == "user") != users) continue;
      for (const auto& v : values[s.name])
        if (!apply(s, v, "")) return false;
    }
    return true;
  };
  if (!apply_file(false) || !apply_cli(false) || !apply_file(true) || !apply_cli(true))
    return result;

  TurnServiceConfig& c = result.config;
  if (c.realm.empty()) c.realm = hostname_realm();
  if (c.min_port > c.max_port) {
    result.message = "min-port " + std::to_string(c.min_port) + " is above max-port " +
                     std::to_string(c.max_port);
    return result;
  }
  if (state.use_auth_secret && c.secrets.empty()) {
    result.message =
        "use-auth-secret needs static-auth-secret=SECRET (peerkit reads no secret database)";
    return result;
  }
  if (!state.use_auth_secret && !c.secrets.empty()) {
    result.warnings.push_back(
        "static-auth-secret given without use-auth-secret: REST credentials enabled anyway");
  }
  if (!c.server.no_auth && c.users.empty() && c.secrets.empty()) {
    result.message =
        "no credentials: give user=NAME:PASSWORD, or use-auth-secret with "
        "static-auth-secret=SECRET, "
        "or no-auth to run an open relay on purpose";
    return result;
  }
  if (c.server.no_auth && (!c.users.empty() || !c.secrets.empty())) {
    result.message = "no-auth contradicts the user/static-auth-secret options given";
    return result;
  }
  if (c.cert_file.empty() != c.key_file.empty()) {
    result.message = "TLS needs both cert and pkey";
    return result;
  }
  if (c.cert_file.empty()) c.tls = false;
  if (!c.udp && !c.tcp && !c.tls) {
    result.message = "every listener is off (no-udp, no-tcp, and no TLS certificate or no-tls)";
    return result;
  }
  if (c.server.stun_only && c.server.no_stun) {
    result.message = "stun-only and no-stun together leave nothing to serve";
    return result;
  }
  result.outcome = TurnCommandLine::Outcome::kRun;
  return result;
}

}  // namespace peerkit::turn
