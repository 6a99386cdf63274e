// The web app's file transfer (web/files.js) as `peerkit join` speaks it: what a sender emits,
// what a receiver accepts, and the lies it refuses.
#include "join/file_transfer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "join/text.h"

namespace peerkit::join {
namespace {

namespace json = boost::json;
using EK = IncomingFiles::Event::Kind;

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<unsigned char>(i * 131 + 7));
  return v;
}

std::string sha_of(std::span<const std::byte> data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

TEST(Sha256, KnownVectors) {
  Sha256 h;
  EXPECT_EQ(h.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  h.update(std::as_bytes(std::span(abc)));
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SafeFileName, KeepsOnlyAHarmlessLastComponent) {
  EXPECT_EQ(safe_file_name("report.pdf"), "report.pdf");
  EXPECT_EQ(safe_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(safe_file_name("..\\..\\boot.ini"), "boot.ini");
  EXPECT_EQ(safe_file_name("/abs/path/x"), "x");
  EXPECT_EQ(safe_file_name(".."), "file");
  EXPECT_EQ(safe_file_name("."), "file");
  EXPECT_EQ(safe_file_name(""), "file");
  EXPECT_EQ(safe_file_name("dir/"), "file");
  EXPECT_EQ(safe_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(safe_file_name("a\nb\x1b[2Jc"), "ab[2Jc");
  EXPECT_EQ(safe_file_name("caf\xC3\xA9.txt"), "caf\xC3\xA9.txt");
  const std::string long_name = std::string(199, 'x') + "\xC3\xA9" + ".txt";
  const auto cut = safe_file_name(long_name);
  EXPECT_EQ(cut, std::string(199, 'x'));  // never half a character
}

TEST(SafeFileName, NumberedAlternatives) {
  EXPECT_EQ(numbered_name("a.txt", 0), "a.txt");
  EXPECT_EQ(numbered_name("a.txt", 2), "a (2).txt");
  EXPECT_EQ(numbered_name("archive.tar.gz", 1), "archive.tar (1).gz");
  EXPECT_EQ(numbered_name("noext", 1), "noext (1)");
}

TEST(OutgoingFile, FramesAndChunksAsFilesJs) {
  const auto data = pattern(kChunkBytes * 2 + 5);
  OutgoingFile f({"f1", "data.bin", "", data.size()}, sha_of(data));
  EXPECT_EQ(
      json::parse(f.start_frame()),
      json::parse(R"({"type":"file-start","id":"f1","name":"data.bin","size":32773,"mime":""})"));
  std::vector<OutgoingFile::Chunk> chunks;
  while (auto c = f.next_chunk()) chunks.push_back(*c);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].offset, 0u);
  EXPECT_EQ(chunks[0].length, kChunkBytes);
  EXPECT_EQ(chunks[2].offset, 2 * kChunkBytes);
  EXPECT_EQ(chunks[2].length, 5u);
  EXPECT_EQ(f.sent(), data.size());
  const auto end = json::parse(f.end_frame());
  EXPECT_EQ(end.at("type").as_string(), "file-end");
  EXPECT_EQ(end.at("sha256").as_string(), sha_of(data));
  OutgoingFile empty({"f2", "e", "", 0}, sha_of({}));
  EXPECT_FALSE(empty.next_chunk());
}

// Sender → receiver through the frames alone.
TEST(IncomingFiles, ReceivesWhatOutgoingFileSends) {
  const auto data = pattern(100000);
  OutgoingFile out({"f1", "../x.bin", "application/octet-stream", data.size()}, sha_of(data));
  IncomingFiles in;
  auto ev = in.on_text(out.start_frame());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kStart);
  EXPECT_EQ(ev[0].header.name, "../x.bin");  // the driver makes it safe
  EXPECT_EQ(ev[0].header.size, data.size());
  std::vector<std::byte> stored;
  while (auto c = out.next_chunk()) {
    ev = in.on_binary(std::span(data).subspan(c->offset, c->length));
    ASSERT_EQ(ev.size(), 1u);
    ASSERT_EQ(ev[0].kind, EK::kWrite);
    stored.insert(stored.end(), ev[0].bytes.begin(), ev[0].bytes.end());
  }
  ev = in.on_text(out.end_frame());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kDone);
  EXPECT_EQ(ev[0].sha256, sha_of(data));
  EXPECT_EQ(stored, data);
  EXPECT_FALSE(in.receiving());
}

TEST(IncomingFiles, HashMismatchFails) {
  const auto data = pattern(1000);
  IncomingFiles in;
  in.on_text(R"({"type":"file-start","id":"f1","name":"a","size":1000})");
  in.on_binary(data);
  auto ev = in.on_text(R"({"type":"file-end","id":"f1","sha256":"00"})");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kFailed);
  EXPECT_NE(ev[0].error.find("SHA-256 mismatch"), std::string::npos);
  EXPECT_EQ(ev[0].sha256, sha_of(data));
  // The next file starts clean.
  in.on_text(R"({"type":"file-start","id":"f2","name":"b","size":3})");
  const std::string abc = "abc";
  in.on_binary(std::as_bytes(std::span(abc)));
  ev = in.on_text(
      R"({"type":"file-end","id":"f2","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kDone);
}

TEST(IncomingFiles, LyingSizesFail) {
  const auto data = pattern(10);
  IncomingFiles in;
  in.on_text(R"({"type":"file-start","id":"f1","name":"a","size":5})");
  auto ev = in.on_binary(data);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kFailed);
  EXPECT_FALSE(in.receiving());
  EXPECT_TRUE(in.on_binary(data).empty());  // nothing in progress: ignored
  in.on_text(R"({"type":"file-start","id":"f1","name":"a","size":20})");
  in.on_binary(data);
  ev = in.on_text(R"({"type":"file-end","id":"f1","sha256":""})");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kFailed);
  EXPECT_NE(ev[0].error.find("10 of 20"), std::string::npos);
}

TEST(IncomingFiles, RefusesWhatIsTooLargeOrMalformed) {
  IncomingFiles in(1000);
  auto ev = in.on_text(R"({"type":"file-start","id":"f1","name":"a","size":1001})");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kRefused);
  EXPECT_FALSE(in.receiving());
  for (const char* bad : {R"({"type":"file-start","id":"f","name":"a","size":-1})",
                          R"({"type":"file-start","id":"f","name":"a","size":1.5})",
                          R"({"type":"file-start","id":"f","name":"a","size":"7"})",
                          R"({"type":"file-start","id":"f","name":"a"})", "not json", "[]"})
    EXPECT_TRUE(in.on_text(bad).empty()) << bad;
  EXPECT_FALSE(in.receiving());
}

TEST(IncomingFiles, ANewStartOrACloseFailsTheFileInProgress) {
  IncomingFiles in;
  in.on_text(R"({"type":"file-start","id":"f1","name":"a","size":5})");
  auto ev = in.on_text(R"({"type":"file-start","id":"f2","name":"b","size":5})");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, EK::kFailed);
  EXPECT_EQ(ev[0].header.id, "f1");
  EXPECT_EQ(ev[1].kind, EK::kStart);
  // A file-end for another id is not ours (files.js ignores it).
  EXPECT_TRUE(in.on_text(R"({"type":"file-end","id":"f1","sha256":""})").empty());
  ev = in.on_closed();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EK::kFailed);
  EXPECT_TRUE(in.on_closed().empty());
}

TEST(Text, ControlsAndCuts) {
  EXPECT_EQ(without_controls("a\x1b[1mb\x7f\xC2\x9B"
                             "c\xC3\xA9\xFF",
                             "?"),
            "a?[1mb??c\xC3\xA9?");
  EXPECT_EQ(cut_utf8("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");
}

}  // namespace
}  // namespace peerkit::join
