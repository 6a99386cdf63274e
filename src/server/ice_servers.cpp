#include "server/ice_servers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "signaling/json_frame.h"
#include "turn/credentials.h"

namespace peerkit::server {

namespace {

std::string expand(std::string url, std::string_view host) {
  constexpr std::string_view kHost = "{host}";
  for (auto at = url.find(kHost); at != std::string::npos; at = url.find(kHost, at + host.size()))
    url.replace(at, kHost.size(), host);
  return url;
}

void append_urls(std::string& out, const std::vector<std::string>& urls, std::string_view host) {
  out += R"("urls":[)";
  for (std::size_t i = 0; i < urls.size(); ++i) {
    if (i) out += ',';
    signaling::append_json_string(out, expand(urls[i], host));
  }
  out += ']';
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The secrets of a file's text, or why there are none to use.
Expected<std::vector<std::string>, std::string> parse_secrets(std::string_view text,
                                                              const std::string& name) {
  using Error = Unexpected<std::string>;
  std::vector<std::string> secrets;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
    if (secrets.size() == kMaxSecrets)
      return Error(name + " holds more than " + std::to_string(kMaxSecrets) + " secrets");
    secrets.emplace_back(line);
  }
  if (secrets.empty()) return Error(name + " is empty");
  return secrets;
}

// Opens the file, or creates it holding `fresh` when it is absent and `fresh` is given.
Expected<std::vector<std::string>, std::string> open_secret_file(const std::string& path,
                                                                 const std::string* fresh,
                                                                 std::string_view option) {
  using Error = Unexpected<std::string>;
  const std::string name = std::string(option) + " '" + path + "'";
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && fresh) {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno == EEXIST) continue;  // another process made it first: read it
      if (fd < 0) return Error("cannot create " + name + ": " + std::strerror(errno));
      const std::string text = *fresh + "\n";
      const bool written = ::write(fd, text.data(), text.size()) ==
                               static_cast<ssize_t>(text.size()) &&
                           ::fsync(fd) == 0;
      const int err = errno;
      ::close(fd);
      if (!written) {
        ::unlink(path.c_str());
        return Error("cannot write " + name + ": " + std::strerror(err));
      }
      return std::vector<std::string>{*fresh};
    }
    if (fd < 0) return Error("cannot open " + name + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return Error(name + " is not a regular file");
    }
    if (st.st_uid != ::geteuid()) {
      // Another user could have planted it (say in /tmp) with a secret they know.
      ::close(fd);
      return Error(name + " belongs to another user (uid " + std::to_string(st.st_uid) +
                   "); it must be owned by the user peerkit runs as");
    }
    if ((st.st_mode & 077) != 0) {
      ::close(fd);
      return Error(name + " may be read or written by others (mode " + mode_text(st.st_mode) +
                   "); chmod 600 it");
    }
    std::string text(4097, '\0');
    const ssize_t n = ::read(fd, text.data(), text.size());
    ::close(fd);
    if (n < 0) return Error("cannot read " + name + ": " + std::strerror(errno));
    if (n > 4096) return Error(name + " is longer than 4096 bytes");
    text.resize(static_cast<std::size_t>(n));
    return parse_secrets(text, name);
  }
  return Error("cannot open " + name + ": it keeps appearing and disappearing");
}

}  // namespace

Expected<std::vector<std::string>, std::string> load_or_create_secret_file(
    const std::string& path, const std::string& fresh) {
  return open_secret_file(path, &fresh, "--ice-secret-file");
}

Expected<std::vector<std::string>, std::string> read_secret_file(const std::string& path,
                                                                 std::string_view option) {
  return open_secret_file(path, nullptr, option);
}

std::string ice_servers_json(const IceServersConfig& config, std::string_view host,
                             std::string_view member_id, std::int64_t unix_now) {
  std::string out = "[";
  if (!config.stun_urls.empty()) {
    out += '{';
    append_urls(out, config.stun_urls, host);
    out += '}';
  }
  if (!config.turn_urls.empty() && !config.turn_secret.empty()) {
    const std::string username =
        std::to_string(unix_now + config.ttl.us() / 1'000'000) + ":" + std::string(member_id);
    if (out.size() > 1) out += ',';
    out += '{';
    append_urls(out, config.turn_urls, host);
    out += R"(,"username":)";
    signaling::append_json_string(out, username);
    out += R"(,"credential":)";
    signaling::append_json_string(
        out, turn::CredentialStore::rest_password(config.turn_secret, username));
    out += '}';
  }
  out += ']';
  return out;
}

std::string host_from_header(std::string_view header) {
  std::string_view host = header;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return {};
    host = host.substr(0, close + 1);
    const bool ok = std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    return ok && host.size() > 2 ? std::string(host) : std::string();
  }
  if (auto colon = host.find(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.empty() || host.size() > 253) return {};
  const bool ok = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
  return ok ? std::string(host) : std::string();
}

}  // namespace peerkit::server
