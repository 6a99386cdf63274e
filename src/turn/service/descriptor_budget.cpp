#include "turn/service/descriptor_budget.h"

#include <algorithm>

namespace peerkit::turn {

std::size_t descriptor_reserve(std::size_t files, std::size_t workers,
                               std::size_t sockets_per_worker) {
  // 64: standard streams, the log and pid files, certificate reloads, the metrics endpoint's
  // listener, loop and scrapes. Per worker: its listeners plus its loop's epoll, eventfd and
  // timer descriptors (4 leaves room).
  const std::size_t needed = 64 + workers * (sockets_per_worker + 4);
  // A small limit (tests, containers) keeps half for the process itself.
  if (files <= 1024) return files / 2;
  return std::min(files / 2, std::max<std::size_t>(512, needed));
}

}  // namespace peerkit::turn
