// Reading fields of a successful CMQ response (docs/cmq-api.md 3) into SDK values.
// Required fields that are missing or of the wrong type throw
// CMQClientException(kBadResponse) naming the action and the field, so a server bug
// shows up as a clear error instead of a silently empty value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cmq/list_result.h"
#include "cmq/message.h"
#include "common/json.h"

namespace cmq::sdk {

class ResponseReader {
 public:
  ResponseReader(std::string_view action, const JsonValue& object)
      : action_(action), object_(object) {}

  std::string String(std::string_view key) const;
  int64_t Int(std::string_view key) const;
  // The integer, or `fallback` when the field is absent (wrong types still throw).
  int64_t IntOr(std::string_view key, int64_t fallback) const;
  bool Bool(std::string_view key) const;
  const std::vector<JsonValue>& Array(std::string_view key) const;
  // A reader for the object in field `key` (required).
  ResponseReader Object(std::string_view key) const;
  // An array of strings; absent gives an empty vector.
  std::vector<std::string> StringsOr(std::string_view key) const;
  bool Has(std::string_view key) const { return object_.Find(key) != nullptr; }
  // A reader for element `i` of `items` (which must be objects).
  ResponseReader Element(const JsonValue& item) const;

  // The seven fields of a received message (a peeked one has no receiptHandle).
  Message ReadMessage(bool with_handle = true) const;
  // msgList: [{"msgId": ...}] -> the ids, checked to be `expected` many.
  std::vector<std::string> MsgIds(size_t expected) const;
  // totalCount plus `list_key` entries with `name_key`/`id_key` (and, for
  // subscriptions, protocol and endpoint when present).
  ListResult ReadList(std::string_view list_key, std::string_view name_key,
                      std::string_view id_key) const;

  [[noreturn]] void Fail(std::string_view key, std::string_view problem) const;

 private:
  std::string_view action_;
  const JsonValue& object_;
};

}  // namespace cmq::sdk
