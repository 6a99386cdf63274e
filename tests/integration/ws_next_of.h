// The next JSON message of one type on a WsClient: the rooms and SFU tests wait for replies
// among events (member-joined, offers) that may come first.
#pragma once

#include <boost/json.hpp>
#include <string_view>

#include "ws_client.h"

namespace peerkit::testing {

// The next message whose "type" is `type`, skipping at most `max_skipped` others; an empty
// object when none came (each wait has WsClient::next's deadline).
inline boost::json::object next_of(WsClient& c, std::string_view type, int max_skipped = 20) {
  for (int i = 0; i <= max_skipped; ++i) {
    auto text = c.next();
    if (!text) break;
    auto v = boost::json::parse(*text);
    if (!v.is_object()) continue;
    auto& o = v.as_object();
    if (const auto* t = o.if_contains("type"); t && t->is_string() && t->as_string() == type) return o;
  }
  return {};
}

}  // namespace peerkit::testing
