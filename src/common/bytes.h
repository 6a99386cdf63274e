// Bounded byte reader and writer over std::span<std::byte>.
//
// Both are "sticky": a read or write past the end does nothing, returns zero, and marks the
// object failed. Callers check ok() once after a group of reads instead of after each one,
// which keeps parsers short without ever touching memory outside the span. All multi-byte
// values are network byte order and assembled from single bytes (no unaligned loads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace peerkit {

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view as_string_view(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  bool ok() const { return ok_; }
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  std::uint8_t u8() {
    if (!take(1)) return 0;
    return std::to_integer<std::uint8_t>(data_[pos_ - 1]);
  }
  std::uint16_t u16() {
    if (!take(2)) return 0;
    return static_cast<std::uint16_t>((byte_at(pos_ - 2) << 8) | byte_at(pos_ - 1));
  }
  std::uint32_t u32() {
    if (!take(4)) return 0;
    std::uint32_t v = 0;
    for (std::size_t i = pos_ - 4; i < pos_; ++i) v = (v << 8) | byte_at(i);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t hi = u32();
    return (hi << 32) | u32();
  }
  ByteSpan bytes(std::size_t n) {
    if (!take(n)) return {};
    return data_.subspan(pos_ - n, n);
  }
  void skip(std::size_t n) { take(n); }

 private:
  std::uint32_t byte_at(std::size_t i) const { return std::to_integer<std::uint32_t>(data_[i]); }
  bool take(std::size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  ByteSpan data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  explicit ByteWriter(MutableByteSpan out) : out_(out) {}

  bool ok() const { return ok_; }
  std::size_t size() const { return pos_; }
  ByteSpan written() const { return ByteSpan(out_.data(), pos_); }
  MutableByteSpan buffer() const { return out_; }

  void u8(std::uint8_t v) {
    if (std::byte* p = take(1)) p[0] = std::byte{v};
  }
  void u16(std::uint16_t v) {
    if (std::byte* p = take(2)) put16(p, v);
  }
  void u32(std::uint32_t v) {
    if (std::byte* p = take(4)) put32(p, v);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(ByteSpan b) {
    if (std::byte* p = take(b.size()); p && !b.empty()) std::memcpy(p, b.data(), b.size());
  }
  void zeros(std::size_t n) {
    if (std::byte* p = take(n); p && n) std::memset(p, 0, n);
  }
  // Overwrites an already written 16-bit field, e.g. a length known only at the end.
  void patch_u16(std::size_t at, std::uint16_t v) {
    if (at + 2 > pos_) {
      ok_ = false;
      return;
    }
    put16(out_.data() + at, v);
  }

 private:
  static void put16(std::byte* p, std::uint16_t v) {
    p[0] = std::byte(v >> 8);
    p[1] = std::byte(v & 0xff);
  }
  static void put32(std::byte* p, std::uint32_t v) {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
  }
  std::byte* take(std::size_t n) {
    if (!ok_ || n > out_.size() - pos_) {
      ok_ = false;
      return nullptr;
    }
    std::byte* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }

  MutableByteSpan out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace peerkit
