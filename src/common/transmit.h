// The one output shape of every sans-IO core (docs: src/common/README.md, "Transmit"): which
// socket, to whom, which bytes. A core appends to its TransmitQueue while it handles an input;
// the driver drains the queue after each input and sends what it finds.
//
//   core:   queue_.push(socket, to, bytes)          copy into the queue's arena
//           queue_.reserve(max) … commit(…, used)   build a message in place in the arena
//           queue_.push(socket, to, Borrowed{in})   point into the input batch (zero copy)
//   driver: for (const Transmit& t : core.transmits()) send(t.socket, t.to, t.data);
//
// Lifetime, held by types rather than by a comment to be remembered:
//  - The bytes are reached only through a TransmitBatch, which can be neither copied nor
//    moved: it lives in the statement (or block) that drained it, and a Transmit's bytes are
//    valid while that batch lives and until the next non-const call on the core. (C++ cannot
//    stop a caller from copying a span out of the loop; what the type removes is any call
//    whose result is meant to be kept.) When the batch ends, the entries it handed out are
//    released (one left with `break` stays queued) and the arena is rewound with its
//    capacity kept, so a core in steady state allocates nothing per packet.
//  - Borrowed bytes are marked at the call site by the Borrowed wrapper: it names the promise
//    the driver makes for the zero-copy path (the input buffer stays untouched until the
//    queue is drained), so an owned copy and a borrowed view cannot be confused.
//  - A Transmit is a view made on demand from an offset, never a stored pointer into the
//    arena: pushing while a batch is being iterated (a driver that calls back into the core
//    from its send loop) may grow the arena, and the entries not yet visited stay valid and
//    are visited by the same loop, in order.
//
// Why a batch and not poll_transmit() returning a span: a polled span outlives the poll call by
// design, so nothing stops the caller from keeping it across the next input; the batch's
// scope is the lifetime. Why not a std::vector<std::byte> per packet: one heap allocation and
// free per datagram on the data path (see the TURN relay path for the same arena idea,
// src/turn/transmit.h).
#pragma once

#include <cassert>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"

namespace peerkit {

// The driver's name for one of its sockets (a UDP socket, a TCP/TLS stream), given to the core
// when the socket is added. A strong type: a socket id cannot be swapped with a count or an
// index without a compile error.
struct SocketId {
  std::uint32_t value = 0;
  friend auto operator<=>(const SocketId&, const SocketId&) = default;
};

// Bytes that belong to the input batch the core is handling, not to the core.
struct Borrowed {
  ByteSpan bytes;
};

// One datagram (UDP) or one whole frame (stream) to send. A view; see the lifetime rule above.
struct Transmit {
  SocketId socket;
  SocketAddress to;
  ByteSpan data;
  bool borrowed = false;  // data points into the input batch, not the core's arena
};

class TransmitBatch;

class TransmitQueue {
 public:
  TransmitQueue() = default;
  explicit TransmitQueue(std::size_t reserve_bytes) { arena_.reserve(reserve_bytes); }
  TransmitQueue(const TransmitQueue&) = delete;
  TransmitQueue& operator=(const TransmitQueue&) = delete;

  // Copies `bytes` into the arena.
  void push(SocketId socket, const SocketAddress& to, ByteSpan bytes) {
    const std::size_t at = arena_.size();
    arena_.insert(arena_.end(), bytes.begin(), bytes.end());
    entries_.push_back(Entry{socket, to, nullptr, at, bytes.size()});
  }
  // Points at bytes of the input batch (zero copy); see Borrowed.
  void push(SocketId socket, const SocketAddress& to, Borrowed bytes) {
    entries_.push_back(Entry{socket, to, bytes.bytes.data(), 0, bytes.bytes.size()});
  }
  // Room for a message of up to `max` bytes in the arena, valid until commit() or the next
  // push; commit() queues the first `used` bytes of it.
  MutableByteSpan reserve(std::size_t max) {
    reserved_at_ = arena_.size();
    arena_.resize(reserved_at_ + max);
    return MutableByteSpan(arena_.data() + reserved_at_, max);
  }
  // Gives back a reserve() that turned out not to be needed (nothing to send after all).
  void unreserve() {
    assert(reserved_at_ <= arena_.size());
    arena_.resize(reserved_at_);
  }
  void commit(SocketId socket, const SocketAddress& to, std::size_t used) {
    assert(reserved_at_ + used <= arena_.size());
    arena_.resize(reserved_at_ + used);
    entries_.push_back(Entry{socket, to, nullptr, reserved_at_, used});
  }

  bool empty() const { return next_ == entries_.size(); }
  std::size_t size() const { return entries_.size() - next_; }
  // Drops everything queued (a core that closes); not allowed while a batch is alive.
  void clear() {
    assert(!draining_);
    rewind();
  }
  std::size_t arena_capacity() const { return arena_.capacity(); }

  // What the core's transmits() returns: everything queued so far, and whatever is pushed
  // while the batch is being iterated.
  TransmitBatch drain();

 private:
  friend class TransmitBatch;
  struct Entry {
    SocketId socket;
    SocketAddress to;
    const std::byte* borrowed;  // nullptr: the bytes are arena_[offset, offset + length)
    std::size_t offset;
    std::size_t length;
  };
  Transmit view(std::size_t i) const {
    const Entry& e = entries_[i];
    const ByteSpan data =
        e.borrowed ? ByteSpan(e.borrowed, e.length) : ByteSpan(arena_.data() + e.offset, e.length);
    return Transmit{e.socket, e.to, data, e.borrowed != nullptr};
  }
  // Called when a batch ends: forget what it handed out; rewind the arena once all is sent.
  void release() {
    draining_ = false;
    if (next_ == entries_.size()) rewind();
  }
  void rewind() {
    arena_.clear();  // keeps the capacity: no allocation in the next cycle of the same size
    entries_.clear();
    next_ = 0;
  }

  std::vector<std::byte> arena_;
  std::vector<Entry> entries_;
  std::size_t next_ = 0;  // the first entry no batch has handed out yet
  std::size_t reserved_at_ = 0;
  bool draining_ = false;
};

// The driver's handle on a queue being drained; see the lifetime rule at the top.
class [[nodiscard]] TransmitBatch {
 public:
  TransmitBatch(const TransmitBatch&) = delete;
  TransmitBatch& operator=(const TransmitBatch&) = delete;
  ~TransmitBatch() { queue_.release(); }

  struct End {};
  class Iterator {
   public:
    // An entry is handed out (and released with the batch) once it has been looked at, so a
    // loop left with `break` keeps the rest for the next batch.
    Transmit operator*() const {
      queue_->next_ = index_ + 1;
      return queue_->view(index_);
    }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    // Re-read on every step, so entries pushed during the loop are visited too.
    bool operator!=(End) const { return index_ < queue_->entries_.size(); }

   private:
    friend class TransmitBatch;
    explicit Iterator(TransmitQueue* q) : queue_(q), index_(q->next_) {}
    TransmitQueue* queue_;
    std::size_t index_;
  };
  Iterator begin() { return Iterator(&queue_); }
  End end() { return {}; }

  // What is left to hand out.
  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }

 private:
  friend class TransmitQueue;
  explicit TransmitBatch(TransmitQueue& q) : queue_(q) {
    assert(!q.draining_);  // one batch at a time
    q.draining_ = true;
  }
  TransmitQueue& queue_;
};

inline TransmitBatch TransmitQueue::drain() {
  return TransmitBatch(*this);
}

}  // namespace peerkit
