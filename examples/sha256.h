// SHA-256 for the file examples, through OpenSSL (a dependency of peerkit already).
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

namespace examples {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void update(std::span<const std::byte> b) { EVP_DigestUpdate(ctx_.get(), b.data(), b.size()); }
  std::string hex() {  // once, at the end
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    std::string out;
    char two[3];
    for (unsigned int i = 0; i < n; ++i) {
      std::snprintf(two, sizeof two, "%02x", md[i]);
      out += two;
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace examples
