// `peerkit serve`'s SFU (issue 11, docs/sfu.md): the RoomsSfuHook that gives the rooms core
// its SFU mode. It owns one worker per core, each its own net::Loop thread with one UDP port,
// an sfu::Worker (ICE-lite, DTLS, SRTP, Router) and an sfu::Conference (the SDP side). A room
// is pinned to one worker when it becomes an SFU room (the one holding the fewest rooms) and
// stays there while it has members, so everything a room forwards stays on one thread.
//
// Threads: the hook's calls come on the serve loop and are posted to the room's worker; what
// a worker has to say to members (answers, offers, errors, stats) is posted back to the serve
// loop and delivered through RoomsServer::deliver(). Nothing else crosses threads but the
// counters /metrics reads, which the workers publish once a second.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/loop.h"
#include "net/metrics.h"
#include "server/config.h"
#include "signaling/rooms_server.h"
#include "signaling/sfu_hook.h"

namespace peerkit::server {

class ServeSfu final : public signaling::RoomsSfuHook {
 public:
  // `serve_loop` runs `rooms`; both outlive this object.
  ServeSfu(const SfuConfig& config, net::Loop& serve_loop, signaling::RoomsServer& rooms);
  ~ServeSfu() override;
  ServeSfu(const ServeSfu&) = delete;
  ServeSfu& operator=(const ServeSfu&) = delete;

  // Makes the certificate, binds every worker's port and starts their loops. "" or why not.
  std::string start();
  void stop();
  // The workers' UDP ports, in order (after start()).
  std::vector<std::uint16_t> ports() const;

  // signaling::RoomsSfuHook, on the serve loop.
  void enter(std::string_view room, std::string_view member) override;
  void exit(std::string_view room, std::string_view member) override;
  void request(std::string_view room, std::string_view member, std::string_view type,
               std::string_view text) override;

  // Prometheus families (docs/sfu.md "Metrics"), from any thread.
  struct Totals {
    std::uint64_t rooms = 0, members = 0, srtp_in = 0, srtp_out = 0, forwarded = 0, rtx = 0,
                  keyframe_requests = 0, padding = 0, unprotect_failures = 0, ingress_dropped = 0,
                  layer_changes = 0, datagrams_in = 0, sender_reports = 0, receiver_reports = 0,
                  paced = 0, pacer_drops = 0;
    net::LatencyHistogram forwarding_latency;  // the driver's, read to send
  };
  std::vector<Totals> totals() const;  // one per worker
  // peerkit_sfu_* families, labelled by worker.
  void collect_metrics(net::MetricFamilies& out) const;

 private:
  struct Slot;
  Slot* slot_of(std::string_view room);
  // On a worker's thread: sends the conference's messages to the serve loop, pumps the driver.
  void flush(Slot& slot);
  void reply(const std::string& room, const std::string& member, std::string text);
  // On the worker's thread: one sfu-* request, already shape-checked by the rooms core.
  void handle(Slot& slot, const std::string& room, const std::string& member,
              const std::string& type, const std::string& text);

  SfuConfig config_;
  net::Loop& serve_loop_;
  signaling::RoomsServer& rooms_;
  std::vector<std::unique_ptr<Slot>> slots_;
  // Serve loop only: each SFU room's worker and member count.
  struct Pin {
    std::size_t slot = 0;
    std::size_t members = 0;
  };
  std::unordered_map<std::string, Pin> pins_;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace peerkit::server
