// JSON: a streaming writer for responses and a small DOM parser for the few JSON
// inputs (deadLetterPolicy, client-side response parsing).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cmq {

// Writes compact JSON into a string. The caller keeps keys and values balanced; the
// writer inserts commas. Strings are escaped per RFC 8259 (", \, control characters
// as \uXXXX; valid UTF-8 passes through unescaped).
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Shorthands for Key(k).X(v).
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, int value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// A parsed JSON value.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  bool as_bool() const { return bool_; }
  double as_double() const { return number_; }
  // The number if it is integral and fits int64.
  std::optional<int64_t> as_int() const;
  // The number's text exactly as written (e.g. to read large integers).
  const std::string& number_text() const { return string_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  // Object members in document order (duplicate keys: Find returns the last).
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  const JsonValue* Find(std::string_view key) const;

  static JsonValue MakeNull() { return JsonValue(); }

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses one JSON document (RFC 8259; nesting depth limited to 64). Errors give
// kCannotParse with a detail naming the position.
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace cmq
