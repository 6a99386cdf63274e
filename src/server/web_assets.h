// The browser app (web/), embedded into the binary at build time by cmake/embed_web.cmake.
#pragma once

#include <span>
#include <string_view>

namespace peerkit::server {

struct WebAsset {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

std::span<const WebAsset> web_assets();

inline const WebAsset* find_web_asset(std::string_view path) {
  for (const auto& asset : web_assets())
    if (asset.path == path) return &asset;
  return nullptr;
}

}  // namespace peerkit::server
