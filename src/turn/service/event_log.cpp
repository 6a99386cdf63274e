#include "turn/service/event_log.h"

#include "common/log_safe.h"

namespace peerkit::turn {

EventLine event_line(const ServerEvent& e) {
  // Quoted, so that a space in a USERNAME cannot fake the next field either.
  const std::string user = '"' + log_safe(e.username) + '"';
  const std::string detail = log_safe(e.detail, 256);
  const std::string client = e.route.remote.to_string();
  const std::string transport = to_string(e.route.transport);
  switch (e.kind) {
    case ServerEvent::Kind::kAllocationCreated:
      return {false, "allocation created user=" + user + " client=" + client +
                         " transport=" + transport + " relay=" + detail};
    case ServerEvent::Kind::kAllocationDeleted:
      return {false,
              "allocation deleted user=" + user + " client=" + client + " transport=" + transport};
    case ServerEvent::Kind::kAllocationExpired:
      return {false,
              "allocation expired user=" + user + " client=" + client + " transport=" + transport};
    case ServerEvent::Kind::kPeerDenied:
      return {true, "peer denied user=" + user + " client=" + client + " peer=" + detail};
    case ServerEvent::Kind::kAuthFailed:
      return {false,
              "authentication failed user=" + user + " client=" + client + " reason=" + detail};
    case ServerEvent::Kind::kQuotaRejected:
      return {true, "quota reached user=" + user + " client=" + client + " limit=" + detail};
  }
  return {true, "unknown event user=" + user + " client=" + client};
}

}  // namespace peerkit::turn
