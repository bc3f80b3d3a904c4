// A small JSON value for cmqctl's --json output, built in memory and then printed, so
// every command prints exactly one well-formed document (or one per line for the
// streaming commands). Members keep insertion order: output is stable across runs.
//
// cmqctl is built on the public SDK only, so it has its own writer rather than the
// server's src/common/json.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cmqctl {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::kBool), int_(b ? 1 : 0) {}
  Json(int v) : type_(Type::kInt), int_(v) {}
  Json(int64_t v) : type_(Type::kInt), int_(v) {}
  Json(uint64_t v) : type_(Type::kInt), int_(static_cast<int64_t>(v)) {}
  Json(double v) : type_(Type::kDouble), double_(v) {}
  Json(const char* s) : type_(Type::kString), string_(s) {}
  Json(std::string s) : type_(Type::kString), string_(std::move(s)) {}
  Json(std::string_view s) : type_(Type::kString), string_(s) {}

  static Json Object() { return Json(Type::kObject); }
  static Json Array() { return Json(Type::kArray); }
  static Json StringArray(const std::vector<std::string>& items);

  Type type() const { return type_; }
  // Object: sets `key` (replacing an existing member in place). Returns *this.
  Json& Set(std::string_view key, Json value);
  // Array: appends. Returns *this.
  Json& Push(Json value);
  size_t size() const { return type_ == Type::kObject ? members_.size() : items_.size(); }

  // Compact one-line text when indent < 0, else pretty with `indent` spaces per level.
  std::string Dump(int indent = -1) const;

 private:
  explicit Json(Type t) : type_(t) {}
  void DumpTo(std::string* out, int indent, int depth) const;

  Type type_ = Type::kNull;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// `s` as a JSON string literal with quotes. Invalid UTF-8 bytes become U+FFFD so the
// output is always valid JSON.
std::string JsonQuote(std::string_view s);

}  // namespace cmqctl
