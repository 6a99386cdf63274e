// Two or three cluster nodes sharing one FakeRedis on one virtual clock: each node has its own
// recording transport, PeerJsServer, Redis client, cluster::Node and PeerJsCluster.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/node.h"
#include "cluster/peerjs_cluster.h"
#include "cluster/rooms_cluster.h"
#include "support/fake_redis.h"
#include "support/recording_transport.h"

namespace peerkit::cluster::test {

inline ClusterOptions node_options(std::string id) {
  ClusterOptions o;
  o.node_id = id;
  o.advertise = "wss://" + id + ".example:9000";
  o.node_ttl = Duration::seconds(6);
  o.heartbeat = Duration::seconds(2);
  o.check_interval = Duration::seconds(1);
  return o;
}

struct TestNode {
  TestNode(testing::FakeRedis& redis, std::string id, signaling::PeerJsOptions peerjs,
           signaling::RoomsOptions rooms_options)
      : client(redis.client()),
        server(peerjs, transport),
        rooms(rooms_options, transport),
        node(node_options(id), *client),
        cluster(node, server, transport),
        rooms_cluster(node, rooms) {}
  testing::RecordingTransport transport;
  std::unique_ptr<testing::FakeRedisClient> client;
  signaling::PeerJsServer server;
  signaling::RoomsServer rooms;  // its sessions are numbered from 100 in the tests
  Node node;
  PeerJsCluster cluster;
  RoomsCluster rooms_cluster;
  bool running = true;  // a "killed" node is no longer ticked and is cut off from Redis
};

class Harness {
 public:
  explicit Harness(std::size_t nodes, signaling::PeerJsOptions peerjs = {},
                   signaling::RoomsOptions rooms = {}) {
    peerjs.alive_timeout = Duration::seconds(3600);  // clients' own heartbeats are not under test
    for (std::size_t i = 0; i < nodes; ++i) {
      auto n = std::make_unique<TestNode>(redis, std::string(1, char('a' + i)), peerjs, rooms);
      n->node.start(clock.now());
      nodes_.push_back(std::move(n));
    }
    pump();
    advance(Duration::seconds(2));  // every node has seen the others once
  }
  TestNode& operator[](std::size_t i) { return *nodes_[i]; }

  void pump() { redis.run(); }
  // Moves the clock in 100 ms steps, ticking every running node, with Redis replies in between.
  void advance(Duration d) {
    const Timestamp end = clock.now() + d;
    while (clock.now() < end) {
      clock.advance(Duration::millis(100));
      for (auto& n : nodes_)
        if (n->running) {
          n->node.on_timer(clock.now());
          n->cluster.on_timer(clock.now());
          n->rooms_cluster.on_timer(clock.now());
        }
      pump();
    }
  }
  bool open(std::size_t node, std::uint64_t session, std::string id, std::string token = "tok") {
    nodes_[node]->cluster.on_open(signaling::SessionId(session), {"peerjs", id, token, {}},
                                  clock.now());
    pump();
    return nodes_[node]->server.local_token(id).has_value();
  }
  void send(std::size_t node, std::uint64_t session, std::string_view text) {
    nodes_[node]->server.on_message(signaling::SessionId(session), text, clock.now());
    pump();
  }
  std::vector<std::string> take(std::size_t node, std::uint64_t session) {
    return nodes_[node]->transport.take(session);
  }
  // A rooms connection `session` on `node` with member id "<node letter>-<session>", joined to
  // `room` as `name`; its welcome is taken.
  void join(std::size_t node, std::uint64_t session, std::string room, std::string name) {
    auto& n = *nodes_[node];
    n.rooms.on_open(signaling::SessionId(session), member(node, session), "[]", clock.now());
    n.transport.take(session);
    rooms_send(node, session,
               R"({"type":"join","room":")" + room + R"(","name":")" + name + R"("})");
  }
  void rooms_send(std::size_t node, std::uint64_t session, std::string_view text) {
    nodes_[node]->rooms.on_message(signaling::SessionId(session), text, clock.now());
    pump();
  }
  static std::string member(std::size_t node, std::uint64_t session) {
    return std::string(1, char('a' + node)) + "-" + std::to_string(session);
  }

  // SIGKILL: no more heartbeats or frames from that node.
  void kill(std::size_t node) {
    nodes_[node]->running = false;
    nodes_[node]->client->set_cut(true);
  }

  ManualClock clock;
  testing::FakeRedis redis{clock};

 private:
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

}  // namespace peerkit::cluster::test
