// peer/credential_pool: DTLS credentials made ahead of time, each handed out once.
#include "peer/credential_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace peerkit::peer {
namespace {

// Polls a condition with a deadline (the pool's thread works in the background).
template <class P>
bool eventually(P p) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(CredentialPool, EveryTakeIsANewCertificateWithItsOwnContext) {
  CredentialPool pool(2);
  std::set<std::vector<std::uint8_t>> fingerprints;
  std::set<const dtls::Context*> contexts;
  std::vector<DtlsCredential> held;  // alive, so that no address is reused by a later context
  for (int i = 0; i < 6; ++i) {
    auto c = pool.take();
    ASSERT_TRUE(c) << c.error();
    ASSERT_TRUE(c->certificate && c->context);
    fingerprints.insert(c->certificate->fingerprint().digest);
    contexts.insert(c->context.get());
    held.push_back(std::move(*c));
  }
  EXPECT_EQ(fingerprints.size(), 6u);
  EXPECT_EQ(contexts.size(), 6u);
}

TEST(CredentialPool, RefillsToItsDepthAfterATakeAndNotBefore) {
  CredentialPool pool(3);
  EXPECT_EQ(pool.ready(), 0u);  // nothing is made until the first connection asks
  ASSERT_TRUE(pool.take());
  EXPECT_TRUE(eventually([&] { return pool.ready() == 3; }));
  ASSERT_TRUE(pool.take());
  EXPECT_TRUE(eventually([&] { return pool.ready() == 3; }));
  EXPECT_LE(pool.ready(), 3u);
}

}  // namespace
}  // namespace peerkit::peer
