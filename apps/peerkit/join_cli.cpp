// `peerkit join`'s command line (CLI11). Checks what can be checked before connecting: the URL's
// shape, names the server would refuse, the file to send, the receive directory.
#include "apps/peerkit/join_cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include "apps/peerkit/cli_app.h"
#include "apps/peerkit/ws_client.h"

namespace peerkit::app {

namespace {

// protocol-rooms.md: 1–64 bytes of UTF-8 with no C0, DEL or C1 controls.
std::string check_name(const std::string& what, const std::string& v) {
  if (v.empty() || v.size() > 64) return what + " must be 1-64 bytes";
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto b = static_cast<unsigned char>(v[i]);
    if (b < 0x20 || b == 0x7F ||
        (b == 0xC2 && i + 1 < v.size() && static_cast<unsigned char>(v[i + 1]) < 0xA0))
      return what + " must not contain control characters";
  }
  return {};
}

}  // namespace

ParsedCommand<JoinOptions> parse_join_cli(const std::vector<std::string>& args) {
  using Parsed = ParsedCommand<JoinOptions>;
  JoinOptions o;
  CLI::App app{
      "peerkit join: take part in a 'peerkit serve' room as the web app does, without a browser.\n"
      "Lines typed on standard input go to everyone as chat; chat from others is printed as\n"
      "'name: text' on standard output; what happens in the room goes to standard error.\n"
      "Stop with Ctrl-C (or SIGTERM): connections are closed and the room is left.\n"
      "Exit status: 0 after Ctrl-C, 1 when the room cannot be joined or the server is lost\n"
      "(unreachable, room full, certificate refused), 2 for a usage error.",
      args.empty() ? "peerkit join" : args[0]};
  app.get_formatter()->column_width(34);
  app.add_option("--server", o.server,
                 "the server: ws://HOST:PORT/ws, wss://…, or the web app's http(s):// address")
      ->required();
  app.add_option("--room", o.room, "the room to join")->required();
  app.add_option("--name", o.name, "your display name (default: peerkit)");
  app.add_flag("--echo", o.echo, "send every chat message back to its sender");
  app.add_option("--send", o.send_file,
                 "send FILE to every member, including those who join later (at most 512 MiB)")
      ->type_name("FILE");
  app.add_option("--recv", o.recv_dir,
                 "store files sent to you in DIR (SHA-256 checked; never overwrites: 'a (1).txt')")
      ->type_name("DIR");
  app.add_option("--ca", o.ca_file, "trust this CA (PEM) for a wss:// server, besides the system's")
      ->type_name("FILE");
  app.add_option("--host-filter", o.host_filter,
                 "local addresses that become ICE host candidates, e.g. 'eth0' or "
                 "'10.0.0.0/8,!10.9.0.0/16' (default: all but loopback and link-local)");
  app.add_flag("--allow-loopback", o.allow_loopback,
               "also gather loopback addresses (off by default, as in browsers)");
  app.add_flag("--relay-only", o.relay_only, "use TURN relays only (the web app's relay option)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn (default), error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  if (auto done = parse_args(app, args)) return Parsed::exit(done->code, std::move(done->message));

  WsUrl url;
  std::string error = parse_ws_url(o.server, url);
  if (error.empty()) error = check_name("--room", o.room);
  if (error.empty()) error = check_name("--name", o.name);
  struct stat st {};
  if (error.empty() && !o.send_file.empty()) {
    if (::stat(o.send_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      error = "--send '" + o.send_file + "' is not a readable file";
    else if (::access(o.send_file.c_str(), R_OK) != 0)
      error = "--send '" + o.send_file + "' cannot be read";
    else if (static_cast<unsigned long long>(st.st_size) > (512ull << 20))
      error =
          "--send '" + o.send_file + "' is larger than 512 MiB, which browsers in the room refuse";
  }
  if (error.empty() && !o.recv_dir.empty()) {
    if (::stat(o.recv_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      error = "--recv '" + o.recv_dir + "' is not a directory";
    else if (::access(o.recv_dir.c_str(), W_OK | X_OK) != 0)
      error = "--recv '" + o.recv_dir + "' is not writable";
  }
  if (error.empty() && !o.ca_file.empty() && ::access(o.ca_file.c_str(), R_OK) != 0)
    error = "--ca '" + o.ca_file + "' cannot be read";
  return Parsed::checked(std::move(error), std::move(o), {});
}

}  // namespace peerkit::app
