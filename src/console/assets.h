// The console's pages, style sheet and scripts (src/console/assets), embedded in the
// binary at build time (cmake/embed_assets.cmake writes console_assets.cc), so the
// console needs no files and no network at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace cmq::console {

struct Asset {
  std::string_view name;  // file name under src/console/assets, e.g. "console.js"
  std::string_view body;
};

// The embedded file `name`, or null.
const Asset* FindAsset(std::string_view name);
// The Content-Type an asset is served with, from its name's extension.
std::string_view AssetContentType(std::string_view name);

// Written by cmake/embed_assets.cmake: every file, sorted by name.
extern const Asset kAssets[];
extern const size_t kAssetCount;

}  // namespace cmq::console
