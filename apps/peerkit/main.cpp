// peerkit: one binary, subcommands (docs/architecture.md, "What a user runs").
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"

namespace {

constexpr const char* kUsage =
    "usage: peerkit <command> [options]\n"
    "\n"
    "commands:\n"
    "  run       start peerkit's main service with embedded defaults: 'peerkit serve' on\n"
    "            http://127.0.0.1:9000/ with STUN/TURN on 127.0.0.1:3478\n"
    "  serve     signaling (PeerJS-compatible and rooms), the web app, STUN/TURN (peerkit serve "
    "--help)\n"
    "  turn      STUN/TURN server; takes coturn's options and turnserver.conf (peerkit turn "
    "--help)\n"
    "  join      take part in a 'peerkit serve' room without a browser: chat, send and receive\n"
    "            files (peerkit join --help)\n"
    "  version   print the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args[0] = "peerkit " + command;
  if (command == "turn") return peerkit::app::run_turn(args);
  if (command == "serve") return peerkit::app::run_serve(args);
  if (command == "join") return peerkit::app::run_join(args);
  if (command == "run") {
    if (args.size() > 1) {
      std::fputs("peerkit run takes no options; use 'peerkit serve --help' to configure\n", stderr);
      return 2;
    }
    return peerkit::app::run_serve(args);
  }
  if (command == "version" || command == "--version") {
    std::printf("peerkit %s\n", PEERKIT_VERSION);
    return 0;
  }
  std::fprintf(stderr, "peerkit: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
