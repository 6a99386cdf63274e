// `peerkit turn`'s command line: every option of the coturn table (turn_option_table.h) as a
// CLI11 option, plus -c and -n; the values go to turn::configure_turn, which reads the file and
// checks the result.
#include <map>

#include "apps/peerkit/cli.h"
#include "apps/peerkit/cli_app.h"
#include "turn/service/turn_option_table.h"
#include "turn/service/turn_options.h"

namespace peerkit::app {

ParsedCommand<turn::TurnServiceConfig> parse_turn_cli(const std::vector<std::string>& args) {
  using namespace turn::option_table;
  using Parsed = ParsedCommand<turn::TurnServiceConfig>;
  CLI::App app{
      "peerkit turn: a STUN/TURN server (RFC 8489, RFC 8656) that reads coturn's options and\n"
      "turnserver.conf. Secure by default: credentials required, loopback/private/metadata peers\n"
      "denied, no SOFTWARE attribute or reason phrases, unauthenticated answers rate limited.",
      args.empty() ? "peerkit turn" : args[0]};
  app.get_formatter()->column_width(44);
  turn::TurnOptionValues given;
  app.add_option("-c", given.config_path, "configuration file in turnserver.conf format");
  app.add_flag("-n", given.no_config,
               "read no configuration file (otherwise the coturn search path is used)");
  for (const auto& s : specs()) {
    std::string names = std::string("--") + s.name;
    if (*s.short_name) names += std::string(",-") + s.short_name;
    std::string help = s.help;
    if (s.support == Support::kRemoved) help = "[removed] " + help;
    if (s.support == Support::kIgnored) help = "[not used] " + help;
    // Flags take an optional value like coturn's file does: --fingerprint, --fingerprint=off.
    app.add_option(names, given.values[s.name], help)
        ->expected(s.kind == Kind::kValue ? 1 : 0, 1)
        ->type_name(s.kind == Kind::kValue ? "VALUE" : "[=on|off]")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (auto done = parse_args(app, args)) return Parsed::exit(done->code, std::move(done->message));

  auto settings = turn::configure_turn(given);
  auto out = Parsed::checked(std::move(settings.error), std::move(settings.config),
                             std::move(settings.warnings));
  out.config_file = std::move(settings.config_file);
  return out;
}

}  // namespace peerkit::app
