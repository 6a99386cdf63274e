// The BIO between OpenSSL and a Transport: every BIO_write is one datagram appended to the
// transport's transmit queue, every BIO_read hands over the datagram being handled, whole.
// OpenSSL's memory BIO would do for TLS but merges datagrams into a byte stream, and DTLS
// records must keep their datagram boundaries (RFC 6347 §4.1.1).
#pragma once

#include <openssl/bio.h>

namespace peerkit::dtls {

class Transport;

struct DatagramBio {
  // A new BIO bound to `transport` (not owned by it: SSL_set_bio hands it to the SSL).
  static BIO* create(Transport* transport);
  // The BIO_METHOD's write and read (members, to reach the transport's queues).
  static int write(BIO* bio, const char* data, int len);
  static int read(BIO* bio, char* out, int len);
};

}  // namespace peerkit::dtls
