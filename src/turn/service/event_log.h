// The log line of each ServerEvent, apart from the worker so it can be tested as text. Every
// client-supplied string (the USERNAME, and whatever else an event's detail carries) goes
// through log_safe(): a USERNAME of "\n2026-01-01 [info] allocation created" or "\x1b[2J"
// must not forge a line or drive the operator's terminal. Events never carry secrets.
#pragma once

#include <string>

#include "turn/server.h"

namespace peerkit::turn {

struct EventLine {
  bool warning = false;  // peer denied, quota reached; the rest are info
  std::string text;
};

EventLine event_line(const ServerEvent& e);

}  // namespace peerkit::turn
