// The web app's file transfer (web/files.js), sans-IO, so `peerkit join` sends and receives
// exactly what a browser in the room does: on the negotiated 'file' channel (id 1) a JSON
// {"type":"file-start",id,name,size,mime}, the bytes in 16 KiB binary messages, then
// {"type":"file-end",id,sha256} with the sender's SHA-256 in lowercase hex. The receiver hashes
// what arrived and trusts nothing else: a sender that lies about the size or the hash gets a
// failed transfer, never a stored file.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peerkit::join {

inline constexpr std::size_t kChunkBytes = 16 * 1024;         // files.js CHUNK
inline constexpr std::size_t kHighWater = 4 * 1024 * 1024;    // pause sending above this
inline constexpr std::size_t kLowWater = 1024 * 1024;         // resume at bufferedamountlow
inline constexpr std::uint64_t kMaxFileBytes = 512ull << 20;  // files.js MAX_RECEIVE_BYTES

// SHA-256 over OpenSSL's EVP interface, fed piece by piece.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::byte> bytes);
  std::string hex();  // finishes; the object is then reset for a new digest

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// A file name offered by a peer, made safe to create in a receive directory: its last path
// component only (both '/' and '\\' separate), no control characters, no leading dot (no hidden
// files, no "." or ".."), at most 200 bytes cut at a character boundary; "file" if nothing is left.
std::string safe_file_name(std::string_view offered);
// The n-th alternative for a taken name: "a.txt", "a (1).txt", "a (2).txt", …
std::string numbered_name(const std::string& name, unsigned n);

struct FileHeader {
  std::string id, name, mime;
  std::uint64_t size = 0;
};

// What to send to one member, in order: start_frame(), the chunks next_chunk() names (the
// driver reads those bytes from the file), end_frame().
class OutgoingFile {
 public:
  OutgoingFile(FileHeader header, std::string sha256)
      : h_(std::move(header)), sha_(std::move(sha256)) {}
  std::string start_frame() const;
  std::string end_frame() const;
  struct Chunk {
    std::uint64_t offset;
    std::size_t length;
  };
  // The next chunk to send, or nullopt once every byte was handed out. An empty file has none.
  std::optional<Chunk> next_chunk();
  std::uint64_t sent() const { return offset_; }
  const FileHeader& header() const { return h_; }

 private:
  FileHeader h_;
  std::string sha_;
  std::uint64_t offset_ = 0;
};

// Incoming files on one channel, one at a time as files.js sends them.
class IncomingFiles {
 public:
  struct Event {
    enum class Kind {
      kStart,    // header: a file begins; store what kWrite hands over
      kWrite,    // bytes: the next piece (valid until the next call)
      kDone,     // the file is complete and its SHA-256 matches the sender's
      kFailed,   // error says why; drop what was stored
      kRefused,  // error says why; nothing was started
    } kind;
    FileHeader header;
    std::span<const std::byte> bytes;
    std::string sha256, expected, error;
  };
  explicit IncomingFiles(std::uint64_t max_bytes = kMaxFileBytes) : max_(max_bytes) {}

  std::vector<Event> on_text(std::string_view text);
  std::vector<Event> on_binary(std::span<const std::byte> bytes);
  // The channel closed: a file in progress failed.
  std::vector<Event> on_closed();
  bool receiving() const { return current_.has_value(); }
  std::uint64_t received() const { return received_; }

 private:
  Event fail(std::string why);
  std::uint64_t max_;
  std::optional<FileHeader> current_;
  std::uint64_t received_ = 0;
  Sha256 hash_;
};

}  // namespace peerkit::join
