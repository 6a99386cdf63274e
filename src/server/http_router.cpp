#include "server/http_router.h"

#include <boost/url.hpp>
#include <sstream>

#include "net/metrics.h"
#include "server/ice_servers.h"
#include "server/web_assets.h"
#include "signaling/json_frame.h"

namespace peerkit::server {

namespace {

constexpr std::string_view kPeerServerBanner =
    R"({"name":"PeerJS Server","description":"A server side element to broker connections between PeerJS clients.","website":"https://peerjs.com/"})";

// The app's own pages: no third-party anything, media and sockets from this origin only.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'";

std::string normalize_base(std::string path) {
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  if (path.back() != '/') path += '/';
  return path;
}

bool valid_member_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

constexpr std::string_view kAllowApi = "GET, HEAD, OPTIONS";
constexpr std::string_view kAllowGet = "GET, HEAD";

}  // namespace

std::string normalize_origin(std::string_view origin) {
  const auto sep = origin.find("://");
  if (sep == std::string_view::npos) return {};
  std::string scheme(origin.substr(0, sep));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view port = scheme == "http" ? "80" : scheme == "https" ? "443" : "";
  if (port.empty()) return {};
  std::string_view rest = origin.substr(sep + 3);
  std::string_view host;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return {};
    host = rest.substr(0, close + 1);
    if (!std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return {};
    rest = rest.substr(close + 1);
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), is_host_char))
      return {};
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return {};
    port = rest.substr(1);
    if (!std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::stoul(std::string(port)) > 65535)
      return {};
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
  }
  std::string out = scheme + "://";
  for (char c : host) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out += ':';
  out += port;
  return out;
}

std::optional<http::status> framing_error(const http::request_header<>& header) {
  const auto codings = header.equal_range(http::field::transfer_encoding);
  if (codings.first == codings.second) return std::nullopt;
  if (std::next(codings.first) != codings.second) return http::status::bad_request;
  if (header.count(http::field::content_length) != 0) return http::status::bad_request;
  std::string_view value = codings.first->value();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!boost::beast::iequals(value, "chunked")) return http::status::bad_request;
  return std::nullopt;
}

std::optional<http::status> parse_error_status(const boost::system::error_code& ec) {
  if (ec.category() != make_error_code(http::error::bad_target).category()) return std::nullopt;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
  if (ec == http::error::body_limit) return http::status::payload_too_large;
  return http::status::bad_request;
}

Response error_response(http::status status, std::string_view text) {
  Response response{status, 11};
  response.set(http::field::server, "peerkit");
  response.set(http::field::content_type, "text/plain");
  response.set("X-Content-Type-Options", "nosniff");
  response.keep_alive(false);
  response.body() = std::string(text);
  response.prepare_payload();
  return response;
}

const std::string& connection_refused_response() {
  static const std::string bytes = [] {
    Response response =
        error_response(http::status::service_unavailable, "too many connections; retry\n");
    response.set(http::field::retry_after, "1");
    std::ostringstream out;
    out << response;
    return out.str();
  }();
  return bytes;
}

std::string random_member_id(RandomSource& random) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id;
  for (int i = 0; i < 16; ++i) id += kAlphabet[random.uniform(32)];
  return id;
}

HttpRouter::HttpRouter(const ServeConfig& config, const signaling::PeerJsServer& peerjs,
                       RandomSource& random, std::function<std::string()> metrics,
                       std::function<std::int64_t()> unix_now)
    : config_(config),
      peerjs_(peerjs),
      random_(random),
      metrics_(std::move(metrics)),
      unix_now_(std::move(unix_now)),
      base_(normalize_base(config.path)) {
  for (const auto* list : {&config.cors_origins, &config.allowed_origins})
    for (const auto& origin : *list)
      if (auto o = normalize_origin(origin); !o.empty()) allowed_origins_.push_back(std::move(o));
}

bool HttpRouter::origin_allowed(const Request& request) const {
  const auto field = request.find(http::field::origin);
  if (field == request.end()) return true;  // not a browser page: curl, native clients
  const std::string origin = normalize_origin(field->value());
  if (origin.empty()) return false;  // "null" (sandboxed pages, file:) and anything malformed
  const std::string_view host = request[http::field::host];
  if (!host.empty() &&
      origin == normalize_origin((config_.cert_file.empty() ? "http://" : "https://") +
                                 std::string(host)))
    return true;
  return std::find(allowed_origins_.begin(), allowed_origins_.end(), origin) !=
         allowed_origins_.end();
}

Response HttpRouter::reply(const Request& request, http::status status, std::string_view type,
                           std::string body) const {
  Response response{status, request.version()};
  response.set(http::field::server, "peerkit");
  if (!type.empty()) response.set(http::field::content_type, type);
  response.set("X-Content-Type-Options", "nosniff");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  return response;
}

void HttpRouter::add_cors(const Request& request, Response& response) const {
  const auto origin = request[http::field::origin];
  if (origin.empty()) return;
  const bool allowed = config_.cors_origins.empty() ||
                       std::find(config_.cors_origins.begin(), config_.cors_origins.end(),
                                 origin) != config_.cors_origins.end();
  if (allowed) response.set(http::field::access_control_allow_origin, origin);
  response.set(http::field::vary, "Origin");
}

std::string HttpRouter::ice_servers(std::string_view host_header,
                                    std::string_view member_id) const {
  std::string host = host_from_header(host_header);
  if (host.empty()) host = config_.host.to_uri_host();
  return ice_servers_json(config_.ice, host, member_id, unix_now_());
}

Response HttpRouter::handle(const Request& request) const {
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed)
    return reply(request, http::status::bad_request, "text/plain", "bad request target\n");
  const std::string path = parsed->path();
  const bool is_get = request.method() == http::verb::get || request.method() == http::verb::head;
  const bool is_options = request.method() == http::verb::options;

  // Every 405 says which methods the resource has (RFC 9110 §15.5.6).
  auto not_allowed = [&](std::string_view allow) {
    Response response =
        reply(request, http::status::method_not_allowed, "text/plain", "method not allowed\n");
    response.set(http::field::allow, allow);
    return response;
  };

  // PeerServer's API under the base path, with CORS (spec §1.2, §1.3).
  const bool under_base = path.starts_with(base_) || path + "/" == base_;
  if (under_base) {
    const std::string rest = path.size() > base_.size() ? path.substr(base_.size()) : "";
    const auto slash = rest.find('/');
    const bool api = rest.empty()
                         ? !(base_ == "/" && request[http::field::accept].find("text/html") !=
                                                 std::string_view::npos)
                         : (slash != std::string::npos && slash > 0 &&
                            (rest.substr(slash) == "/id" || rest.substr(slash) == "/peers"));
    if (api && !is_get && !is_options) return not_allowed(kAllowApi);
    if (api) {
      Response response;
      if (is_options) {
        response = reply(request, http::status::no_content, "", "");
        response.set(http::field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
        if (auto h = request[http::field::access_control_request_headers]; !h.empty())
          response.set(http::field::access_control_allow_headers, h);
      } else if (rest.empty()) {
        response = reply(request, http::status::ok, "application/json; charset=utf-8",
                         std::string(kPeerServerBanner));
      } else if (rest.substr(slash) == "/id") {
        // The key is not checked here, as in PeerServer (only the WebSocket checks it).
        response = reply(request, http::status::ok, "text/html; charset=utf-8",
                         peerjs_.generate_id(random_));
      } else if (!peerjs_.options().allow_discovery) {
        response =
            reply(request, http::status::unauthorized, "text/plain; charset=utf-8", "Unauthorized");
      } else {
        std::string body = "[";
        for (const auto& id : cluster_peers_ ? cluster_peers_() : peerjs_.peer_ids()) {
          if (body.size() > 1) body += ',';
          signaling::append_json_string(body, id);
        }
        body += ']';
        response =
            reply(request, http::status::ok, "application/json; charset=utf-8", std::move(body));
      }
      add_cors(request, response);
      return response;
    }
  }

  if (path == "/api/ice-servers") {
    if (!is_get && !is_options) return not_allowed(kAllowApi);
    if (!origin_allowed(request)) {
      Response refused = reply(request, http::status::forbidden, "text/plain",
                               "this origin may not have TURN credentials (see --allow-origin)\n");
      refused.set(http::field::cache_control, "no-store");
      refused.set(http::field::vary, "Origin");
      return refused;
    }
    std::string member;
    if (auto it = parsed->params().find("id"); it != parsed->params().end()) member = (*it).value;
    if (!valid_member_id(member)) member = random_member_id(random_);
    Response response =
        is_options
            ? reply(request, http::status::no_content, "", "")
            : reply(request, http::status::ok, "application/json",
                    R"({"iceServers":)" + ice_servers(request[http::field::host], member) +
                        R"(,"ttl":)" + std::to_string(config_.ice.ttl.us() / 1'000'000) + "}");
    response.set(http::field::cache_control, "no-store");
    if (auto origin = request[http::field::origin]; !origin.empty())
      response.set(http::field::access_control_allow_origin, origin);
    response.set(http::field::vary, "Origin");
    return response;
  }
  if (!is_get) return not_allowed(kAllowGet);
  if (path == "/healthz")
    return reply(request, http::status::ok, "text/plain",
                 cluster_health_ ? "ok\n" + cluster_health_() : "ok\n");
  if (path == "/metrics")
    return reply(request, http::status::ok, net::kMetricsContentType, metrics_());

  const WebAsset* asset = find_web_asset(path == "/" ? "/index.html" : path);
  if (!asset)
    return reply(request, http::status::not_found, "text/plain", "Cannot GET " + path + "\n");
  Response response =
      reply(request, http::status::ok, asset->content_type, std::string(asset->body));
  response.set(http::field::cache_control, "no-cache");
  response.set("Content-Security-Policy", kContentSecurityPolicy);
  response.set("Referrer-Policy", "no-referrer");
  // The app itself may use camera, microphone and screen sharing; nothing it embeds may.
  response.set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)");
  return response;
}

std::variant<Upgrade, Response> HttpRouter::upgrade(const Request& request) const {
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed)
    return reply(request, http::status::bad_request, "text/plain", "bad request target\n");
  const std::string path = parsed->path();
  auto forbidden = [&] {
    return reply(request, http::status::forbidden, "text/plain",
                 "WebSocket refused for this Origin (see --allow-origin and --cors)\n");
  };
  if (path == "/ws") {
    if (!origin_allowed(request)) return forbidden();
    return Upgrade{SocketKind::kRooms, {}};
  }
  if (path == base_ + "peerjs") {
    // PeerServer's rule for its own socket: any origin, unless --cors names them.
    if (!config_.cors_origins.empty() && !origin_allowed(request)) return forbidden();
    Upgrade up{SocketKind::kPeerJs, {}};
    for (auto param : parsed->params()) {
      if (param.key == "key")
        up.peerjs.key = param.value;
      else if (param.key == "id")
        up.peerjs.id = param.value;
      else if (param.key == "token")
        up.peerjs.token = param.value;
    }
    return up;
  }
  return reply(
      request, http::status::bad_request, "text/plain",
      "no WebSocket at " + path + "; PeerJS clients use " + base_ + "peerjs, rooms use /ws\n");
}

}  // namespace peerkit::server
