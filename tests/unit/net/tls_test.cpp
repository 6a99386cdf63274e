// net/tls: one set of defaults for every context, verification that cannot be skipped, and a
// reload that keeps the old certificate when the new files are bad.
#include "net/tls.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "stream_pair.h"
#include "support/test_certificate.h"

namespace peerkit::net {
namespace {

using peerkit::testing::TestCertificate;

void expect_defaults(const TlsContextPtr& ctx) {
  SSL_CTX* native = ctx->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  const auto options = SSL_CTX_get_options(native);
  EXPECT_TRUE(options & SSL_OP_NO_COMPRESSION);
  EXPECT_TRUE(options & SSL_OP_NO_RENEGOTIATION);
  EXPECT_TRUE(options & SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Only ECDHE + AEAD suites for TLS 1.2.
  SSL* ssl = SSL_new(native);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    if (SSL_CIPHER_get_protocol_id(c) >> 8 == 0x13) continue;  // TLS 1.3 suites
    const std::string name = SSL_CIPHER_get_name(c);
    EXPECT_TRUE(name.starts_with("ECDHE-")) << name;
    EXPECT_TRUE(SSL_CIPHER_is_aead(c)) << name;
  }
  SSL_free(ssl);
}

TEST(Tls, ServerAndClientContextsShareTheDefaults) {
  TestCertificate cert;
  auto server = make_tls_server_context({cert.cert_file(), cert.key_file()});
  ASSERT_TRUE(server) << server.error();
  expect_defaults(*server);
  auto client = make_tls_client_context(cert.cert_file());
  ASSERT_TRUE(client) << client.error();
  expect_defaults(*client);
  EXPECT_EQ(SSL_CTX_get_verify_mode((*client)->native_handle()), SSL_VERIFY_PEER);
}

TEST(Tls, ErrorsNameTheFileAtFault) {
  TestCertificate a("a"), b("b");
  auto missing = make_tls_server_context({a.directory() + "/nope.pem", a.key_file()});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("cannot load certificate '" + a.directory() + "/nope.pem'"),
            std::string::npos)
      << missing.error();
  auto mismatch = make_tls_server_context({a.cert_file(), b.key_file()});
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().find("mismatch"), std::string::npos) << mismatch.error();
  EXPECT_NE(mismatch.error().find(b.key_file()), std::string::npos) << mismatch.error();
  auto bad_ca = make_tls_client_context(a.directory() + "/nope.pem");
  ASSERT_FALSE(bad_ca);
  EXPECT_NE(bad_ca.error().find("CA"), std::string::npos);
}

TEST(Tls, AReloadWithBadFilesKeepsTheOldContext) {
  TestCertificate cert;
  ReloadableServerContext holder({cert.cert_file(), cert.key_file()});
  EXPECT_EQ(holder.current(), nullptr);
  ASSERT_EQ(holder.reload(), "");
  const TlsContextPtr first = holder.current();
  ASSERT_NE(first, nullptr);
  // The operator replaces the certificate with a broken file.
  std::ofstream(cert.cert_file()) << "not a certificate\n";
  const std::string error = holder.reload();
  EXPECT_NE(error.find("cannot load certificate"), std::string::npos) << error;
  EXPECT_EQ(holder.current(), first);
  // A good file again: the next reload swaps the context.
  TestCertificate fresh("fresh");
  std::filesystem::copy_file(fresh.cert_file(), cert.cert_file(),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(fresh.key_file(), cert.key_file(),
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(holder.reload(), "");
  EXPECT_NE(holder.current(), first);
}

// Also (c): the reload error names the certificate that stays in use, so the operator's log
// says what is still being served (files, subject, expiry).
TEST(Tls, AFailedReloadSaysWhichCertificateIsKept) {
  TestCertificate cert("kept-one");
  ReloadableServerContext holder({cert.cert_file(), cert.key_file()});
  ASSERT_EQ(holder.reload(), "");
  std::ofstream(cert.key_file()) << "not a key\n";
  const std::string error = holder.reload();
  EXPECT_NE(error.find("cannot load private key"), std::string::npos) << error;
  EXPECT_NE(error.find("keeping the certificate loaded from '" + cert.cert_file() + "'"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("CN=kept-one"), std::string::npos) << error;
  EXPECT_TRUE(std::regex_search(error, std::regex("not after 2[0-9]{3}-[0-9]{2}-[0-9]{2}T")))
      << error;
}

// A client that trusts a different certificate, or expects another name, never gets a frame
// through: the handshake fails and the stream closes with the reason.
TEST(Tls, ClientsRefuseAServerTheyDoNotTrustOrThatHasAnotherName) {
  for (const std::string name : {"trust", "127.0.0.2"}) {
    TestCertificate server_cert, other("other");
    Loop loop("tls-test");
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(loop.context(),
                           tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client_socket(loop.context());
    client_socket.connect(acceptor.local_endpoint());
    auto server_ctx = make_tls_server_context({server_cert.cert_file(), server_cert.key_file()});
    auto client_ctx =
        make_tls_client_context(name == "trust" ? other.cert_file() : server_cert.cert_file());
    ASSERT_TRUE(server_ctx && client_ctx);
    auto server = Stream::tls_server(acceptor.accept(), *server_ctx);
    auto client = Stream::tls_client(std::move(client_socket), *client_ctx,
                                     name == "trust" ? "127.0.0.1" : name);
    std::string client_closed;
    bool server_ready = false, client_ready = false;
    auto framer = [](ByteSpan) { return FrameCut{}; };
    server->start(
        {.framer = framer, .on_frame = [](ByteSpan) {}, .on_ready = [&] { server_ready = true; }});
    client->start({.framer = framer,
                   .on_frame = [](ByteSpan) {},
                   .on_ready = [&] { client_ready = true; },
                   .on_close = [&](std::string_view why) { client_closed = why; }});
    const Timestamp deadline = loop.now() + Duration::seconds(20);
    while (client_closed.empty() && loop.now() < deadline) loop.run_for(Duration::millis(5));
    EXPECT_FALSE(client_ready) << name;
    EXPECT_NE(client_closed.find("certificate verify failed"), std::string::npos)
        << name << ": " << client_closed;
  }
}

TEST(Tls, AHandshakeThatNeverCompletesTimesOut) {
  TestCertificate cert;
  Loop loop("tls-test");
  using boost::asio::ip::tcp;
  tcp::acceptor acceptor(loop.context(),
                         tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket silent(loop.context());
  silent.connect(acceptor.local_endpoint());  // connects and never says a word
  auto ctx = make_tls_server_context({cert.cert_file(), cert.key_file()});
  ASSERT_TRUE(ctx);
  StreamOptions options;
  options.handshake_timeout = Duration::millis(50);
  auto server = Stream::tls_server(acceptor.accept(), *ctx, options);
  std::string closed;
  server->start({.framer = [](ByteSpan) { return FrameCut{}; },
                 .on_frame = [](ByteSpan) {},
                 .on_close = [&](std::string_view why) { closed = why; }});
  const Timestamp deadline = loop.now() + Duration::seconds(20);
  while (closed.empty() && loop.now() < deadline) loop.run_for(Duration::millis(5));
  EXPECT_EQ(closed, "TLS handshake timed out");
}

}  // namespace
}  // namespace peerkit::net
