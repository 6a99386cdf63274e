// SCTP packet codec (sctp/packet.h, packet_writer.h) and CRC32c (sctp/crc32c.h).
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "sctp/crc32c.h"
#include "sctp/packet.h"
#include "sctp/packet_writer.h"

namespace peerkit::sctp {
namespace {

TEST(Crc32c, KnownAnswers) {
  // RFC 3720 §B.4 test vectors and the "123456789" check value of CRC-32C.
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xe3069283u);
  std::array<std::byte, 32> zeros{};
  EXPECT_EQ(crc32c(zeros), 0x8a9136aau);
  std::array<std::byte, 32> ones;
  ones.fill(std::byte{0xff});
  EXPECT_EQ(crc32c(ones), 0x62a8ab43u);
  std::array<std::byte, 32> inc;
  for (std::size_t i = 0; i < inc.size(); ++i) inc[i] = std::byte(static_cast<std::uint8_t>(i));
  EXPECT_EQ(crc32c(inc), 0x46dd794eu);
}

TEST(Crc32c, HardwareAndTableAgreeAndExtend) {
  std::vector<std::byte> data(3001);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<std::uint8_t>(i * 7 + 3));
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 1200u, 3001u}) {
    const ByteSpan s(data.data(), n);
    EXPECT_EQ(crc32c(s), crc32c_portable(s)) << n;
    EXPECT_EQ(crc32c_extend(crc32c(s.first(n / 2)), s.subspan(n / 2)), crc32c(s)) << n;
  }
}

std::vector<std::byte> one_packet(const std::function<void(PacketWriter&)>& add, bool zero = false) {
  std::vector<std::byte> buf(1200);
  PacketWriter w(buf, 5000, 5001, 0x11223344);
  add(w);
  buf.resize(w.finish(zero));
  return buf;
}

TEST(SctpPacket, HeaderAndChecksum) {
  const auto p = one_packet([](PacketWriter& w) { w.add_raw(ChunkType::kCookieAck, 0, {}); });
  ASSERT_EQ(p.size(), 16u);
  const auto h = read_common_header(p);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->source_port, 5000);
  EXPECT_EQ(h->destination_port, 5001);
  EXPECT_EQ(h->verification_tag, 0x11223344u);
  EXPECT_TRUE(checksum_ok(p, false));
  auto bad = p;
  bad[13] = std::byte{0x7f};
  EXPECT_FALSE(checksum_ok(bad, false));
  const auto z = one_packet([](PacketWriter& w) { w.add_raw(ChunkType::kCookieAck, 0, {}); }, true);
  EXPECT_FALSE(checksum_ok(z, false));  // zero only when we said we accept it
  EXPECT_TRUE(checksum_ok(z, true));
}

TEST(SctpPacket, DataAndIDataRoundTrip) {
  const std::string payload = "hello";
  DataChunk d;
  d.flags = kFlagBeginning | kFlagEnd | kFlagUnordered;
  d.tsn = 0xfffffffe;
  d.stream = 65534;
  d.ssn = 7;
  d.ppid = 51;
  d.payload = as_bytes(payload);
  DataChunk i = d;
  i.idata = true;
  i.mid = 0x01020304;
  const auto p = one_packet([&](PacketWriter& w) {
    ASSERT_TRUE(w.add_data(d));
    ASSERT_TRUE(w.add_data(i));
  });
  ChunkReader r(ByteSpan(p).subspan(kCommonHeaderSize));
  const auto c1 = r.next();
  const auto c2 = r.next();
  ASSERT_TRUE(c1 && c2);
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.ok());
  const auto a = read_data(*c1);
  const auto b = read_data(*c2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->tsn, d.tsn);
  EXPECT_EQ(a->stream, 65534);
  EXPECT_EQ(a->ssn, 7);
  EXPECT_EQ(a->ppid, 51u);
  EXPECT_TRUE(a->unordered());
  EXPECT_EQ(as_string_view(a->payload), "hello");
  EXPECT_TRUE(b->idata);
  EXPECT_EQ(b->mid, 0x01020304u);
  EXPECT_EQ(b->ppid, 51u);  // carried by the first fragment
}

TEST(SctpPacket, InitParameters) {
  InitFields f{0xdeadbeef, 131072, 1024, 65535, 99, true, true, true, true};
  const std::array<std::byte, 5> cookie{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}};
  const auto p = one_packet([&](PacketWriter& w) { ASSERT_TRUE(w.add_init(ChunkType::kInitAck, f, cookie)); });
  ChunkReader r(ByteSpan(p).subspan(kCommonHeaderSize));
  const auto init = read_init(*r.next());
  ASSERT_TRUE(init);
  EXPECT_EQ(init->initiate_tag, 0xdeadbeefu);
  EXPECT_EQ(init->a_rwnd, 131072u);
  EXPECT_EQ(init->outbound_streams, 1024);
  EXPECT_EQ(init->inbound_streams, 65535);
  EXPECT_EQ(init->initial_tsn, 99u);
  EXPECT_EQ(init->state_cookie.size(), 5u);
  EXPECT_TRUE(init->forward_tsn && init->idata && init->reconfig && init->zero_checksum_dtls);
}

TEST(SctpPacket, SackForwardTsnAndReconfig) {
  const std::array<GapBlock, 2> gaps{GapBlock{2, 3}, GapBlock{5, 9}};
  const std::array<ForwardTsnChunk::Entry, 1> entries{ForwardTsnChunk::Entry{3, true, 77}};
  const std::array<std::uint16_t, 3> streams{1, 3, 5};
  const auto p = one_packet([&](PacketWriter& w) {
    ASSERT_TRUE(w.add_sack(1000, 5000, gaps));
    ASSERT_TRUE(w.add_forward_tsn(true, 1234, entries));
    ASSERT_TRUE(w.add_outgoing_reset(OutgoingResetRequest{10, 20, 30, {}}, streams));
    ASSERT_TRUE(w.add_reconfig_response(ReconfigResponse{20, kReconfigSuccess}));
  });
  ChunkReader r(ByteSpan(p).subspan(kCommonHeaderSize));
  const auto sack = read_sack(*r.next());
  ASSERT_TRUE(sack);
  EXPECT_EQ(sack->cumulative_tsn_ack, 1000u);
  ASSERT_EQ(sack->gap_count, 2);
  EXPECT_EQ(sack->gap_block(1).start, 5);
  EXPECT_EQ(sack->gap_block(1).end, 9);
  const auto f = read_forward_tsn(*r.next());
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->idata);
  ASSERT_EQ(f->entry_count(), 1u);
  EXPECT_EQ(f->entry(0).stream, 3);
  EXPECT_TRUE(f->entry(0).unordered);
  EXPECT_EQ(f->entry(0).ssn_or_mid, 77u);
  const auto q = read_reconfig(*r.next());
  ASSERT_TRUE(q && q->reset);
  EXPECT_EQ(q->reset->request_seq, 10u);
  ASSERT_EQ(q->reset->stream_count(), 3u);
  EXPECT_EQ(q->reset->stream(2), 5);
  const auto s = read_reconfig(*r.next());
  ASSERT_TRUE(s && s->response);
  EXPECT_EQ(s->response->result, kReconfigSuccess);
}

TEST(SctpPacket, MalformedChunksAreRefused) {
  const std::byte short_len[] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{2}};
  ChunkReader r1(short_len);
  EXPECT_FALSE(r1.next());
  EXPECT_FALSE(r1.ok());
  const std::byte too_long[] = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{40}, std::byte{0}};
  ChunkReader r2(too_long);
  EXPECT_FALSE(r2.next());
  const std::byte empty_data[] = {std::byte{0}, std::byte{3}, std::byte{0}, std::byte{16},
                                  std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1},
                                  std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
                                  std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  ChunkReader r3(empty_data);
  const auto c = r3.next();
  ASSERT_TRUE(c);
  EXPECT_FALSE(read_data(*c));  // RFC 9260 §3.3.1: DATA without user data
  EXPECT_FALSE(read_common_header(std::span(empty_data).first(11)));
}

TEST(SctpPacket, WriterRefusesWhatDoesNotFit) {
  std::vector<std::byte> buf(100);
  PacketWriter w(buf, 1, 2, 3);
  const std::vector<std::byte> big(200);
  DataChunk d;
  d.payload = big;
  d.flags = kFlagBeginning | kFlagEnd;
  EXPECT_FALSE(w.add_data(d));
  EXPECT_FALSE(w.has_chunks());
  d.payload = ByteSpan(big).first(w.room_for_value() - 12);
  EXPECT_TRUE(w.add_data(d));
  EXPECT_EQ(w.finish(false), 100u);
}

}  // namespace
}  // namespace peerkit::sctp
