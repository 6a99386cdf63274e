#include "turn/credentials.h"

#include <charconv>

#include "common/base64.h"
#include "stun/integrity.h"

namespace peerkit::turn {
namespace {

std::optional<Key> parse_hex_key(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Key key(16);
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + 2 * i + 2) return std::nullopt;
    key[i] = std::byte(v);
  }
  return key;
}

}  // namespace

std::optional<StaticUser> parse_static_user(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  StaticUser u;
  u.name = std::string(text.substr(0, colon));
  const auto secret = text.substr(colon + 1);
  if (secret.size() == 34 && (secret.starts_with("0x") || secret.starts_with("0X"))) {
    u.md5_key = parse_hex_key(secret.substr(2));
    if (!u.md5_key) return std::nullopt;
  } else {
    if (secret.empty()) return std::nullopt;
    u.password = std::string(secret);
  }
  return u;
}

CredentialStore::CredentialStore(std::string realm, std::vector<StaticUser> users,
                                 std::vector<std::string> secrets, char rest_separator)
    : realm_(std::move(realm)), secrets_(std::move(secrets)), separator_(rest_separator) {
  for (auto& u : users) {
    const auto h = stun::userhash(u.name, realm_);
    hash_to_user_[std::string(reinterpret_cast<const char*>(h.data()), h.size())] = u.name;
    users_[u.name] = std::move(u);
  }
}

std::string CredentialStore::rest_password(std::string_view secret, std::string_view username) {
  std::array<std::byte, 20> mac{};
  stun::hmac_sha1(as_bytes(secret), as_bytes(username), mac);
  return base64_encode(mac);
}

std::vector<Key> CredentialStore::keys_for(std::string_view username, std::int64_t unix_now,
                                           stun::PasswordAlgorithm algorithm) const {
  std::vector<Key> keys;
  if (auto it = users_.find(std::string(username)); it != users_.end()) {
    const StaticUser& u = it->second;
    if (u.password) {
      keys.push_back(stun::long_term_key(username, realm_, *u.password, algorithm));
    } else if (u.md5_key && algorithm == stun::PasswordAlgorithm::kMd5) {
      keys.push_back(*u.md5_key);
    }
    return keys;
  }
  if (secrets_.empty()) return keys;
  // REST usernames start with the expiry timestamp; anything else is not a REST credential.
  const auto sep = username.find(separator_);
  const auto stamp = username.substr(0, sep);
  std::int64_t expiry = 0;
  auto [p, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), expiry);
  if (ec != std::errc() || p != stamp.data() + stamp.size() || stamp.empty()) return keys;
  if (expiry < unix_now) return keys;  // expired credentials are unknown credentials
  for (const auto& secret : secrets_) {
    keys.push_back(
        stun::long_term_key(username, realm_, rest_password(secret, username), algorithm));
  }
  return keys;
}

std::optional<std::string> CredentialStore::username_for_hash(
    std::span<const std::byte> hash) const {
  auto it =
      hash_to_user_.find(std::string(reinterpret_cast<const char*>(hash.data()), hash.size()));
  if (it == hash_to_user_.end()) return std::nullopt;
  return it->second;
}

}  // namespace peerkit::turn
