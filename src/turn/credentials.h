// Long-term credentials for TURN (RFC 8489 §9.2): static users with a password or a
// precomputed key (coturn's `user=name:0x<hex MD5 key>`), and the TURN REST API shared secrets
// (draft-uberti-behave-turn-rest): username "<expiry unix time><sep><user>", password
// base64(HMAC-SHA1(secret, username)). Several secrets may be active at once for rotation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stun/constants.h"

namespace peerkit::turn {

using Key = std::vector<std::byte>;

struct StaticUser {
  std::string name;
  std::optional<std::string> password;  // known: both MD5 and SHA-256 keys can be derived
  std::optional<Key> md5_key;           // from "name:0x<hex>"
};

// Parses coturn's `user` value "name:password" or "name:0x<32 hex digits>".
std::optional<StaticUser> parse_static_user(std::string_view text);

class CredentialStore {
 public:
  CredentialStore() = default;
  CredentialStore(std::string realm, std::vector<StaticUser> users,
                  std::vector<std::string> secrets, char rest_separator = ':');

  const std::string& realm() const { return realm_; }
  // Replaces the REST secrets (a rotation): requests are checked against the new set from now
  // on, so a credential signed with a secret no longer listed stops working at its next request.
  void set_secrets(std::vector<std::string> secrets) { secrets_ = std::move(secrets); }
  bool empty() const { return users_.empty() && secrets_.empty(); }

  // Candidate keys for this username at this wall-clock time; several when several REST
  // secrets are configured. Empty if the user is unknown or its REST credential has expired.
  std::vector<Key> keys_for(std::string_view username, std::int64_t unix_now,
                            stun::PasswordAlgorithm algorithm) const;
  // RFC 8489 §9.2.4 USERHASH → username, for static users.
  std::optional<std::string> username_for_hash(std::span<const std::byte> hash) const;

  // The REST API password for a username (what /api/ice-servers hands to browsers).
  static std::string rest_password(std::string_view secret, std::string_view username);

 private:
  std::string realm_;
  std::unordered_map<std::string, StaticUser> users_;
  std::unordered_map<std::string, std::string> hash_to_user_;  // raw 32-byte hash as string
  std::vector<std::string> secrets_;
  char separator_ = ':';
};

}  // namespace peerkit::turn
