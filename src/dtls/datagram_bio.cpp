#include "dtls/datagram_bio.h"

#include <algorithm>
#include <cstring>

#include "dtls/transport.h"

namespace peerkit::dtls {

int DatagramBio::write(BIO* bio, const char* data, int len) {
  auto* t = static_cast<Transport*>(BIO_get_data(bio));
  if (t == nullptr || len < 0) return -1;
  t->out_.push(SocketId{}, SocketAddress{},
               ByteSpan(reinterpret_cast<const std::byte*>(data), static_cast<std::size_t>(len)));
  return len;
}

int DatagramBio::read(BIO* bio, char* out, int len) {
  auto* t = static_cast<Transport*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (t == nullptr || t->input_.empty()) {
    BIO_set_retry_read(bio);
    return -1;
  }
  // A datagram larger than OpenSSL's buffer is cut, as a UDP socket would cut it.
  const auto n = std::min<std::size_t>(t->input_.size(), static_cast<std::size_t>(len));
  std::memcpy(out, t->input_.data(), n);
  t->input_ = {};
  return static_cast<int>(n);
}

namespace {

long bio_ctrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:     // we set the MTU ourselves (SSL_OP_NO_QUERY_MTU)
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:  // never: records are sized by our MTU
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING:
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* method() {
  // Made once, never freed: one small table for the process.
  static BIO_METHOD* const m = [] {
    BIO_METHOD* x = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "peerkit-dtls");
    BIO_meth_set_write(x, &DatagramBio::write);
    BIO_meth_set_read(x, &DatagramBio::read);
    BIO_meth_set_ctrl(x, bio_ctrl);
    BIO_meth_set_create(x, bio_create);
    BIO_meth_set_destroy(x, bio_destroy);
    return x;
  }();
  return m;
}

}  // namespace

BIO* DatagramBio::create(Transport* transport) {
  BIO* bio = BIO_new(method());
  if (bio != nullptr) BIO_set_data(bio, transport);
  return bio;
}

}  // namespace peerkit::dtls
