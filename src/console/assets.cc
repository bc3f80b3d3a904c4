#include "console/assets.h"

namespace cmq::console {

const Asset* FindAsset(std::string_view name) {
  for (size_t i = 0; i < kAssetCount; ++i) {
    if (kAssets[i].name == name) return &kAssets[i];
  }
  return nullptr;
}

std::string_view AssetContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace cmq::console
