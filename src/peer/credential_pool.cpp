#include "peer/credential_pool.h"

namespace peerkit::peer {

Expected<DtlsCredential, std::string> make_dtls_credential() {
  auto cert = dtls::Certificate::generate();
  if (!cert) return Unexpected(cert.error());
  auto ctx = dtls::Context::create(*cert);
  if (!ctx) return Unexpected(ctx.error());
  return DtlsCredential{*cert, *ctx};
}

CredentialPool::~CredentialPool() {
  {
    std::lock_guard l(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Expected<DtlsCredential, std::string> CredentialPool::take() {
  {
    std::lock_guard l(m_);
    if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { refill(); });
    if (!ready_.empty()) {
      DtlsCredential c = std::move(ready_.front());
      ready_.pop_front();
      wake_.notify_all();
      return c;
    }
  }
  wake_.notify_all();
  return make_dtls_credential();  // none ready yet: the caller waits for its own
}

std::size_t CredentialPool::ready() const {
  std::lock_guard l(m_);
  return ready_.size();
}

void CredentialPool::refill() {
  std::unique_lock l(m_);
  while (true) {
    wake_.wait(l, [&] { return stopping_ || ready_.size() < depth_; });
    if (stopping_) return;
    l.unlock();
    auto made = make_dtls_credential();
    l.lock();
    // On a failure (out of memory, a broken OpenSSL) the thread stops rather than spin; take()
    // then makes each credential itself and hands its error to the connection that needs it.
    if (!made) return;
    ready_.push_back(std::move(*made));
  }
}

}  // namespace peerkit::peer
