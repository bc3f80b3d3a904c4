#include "sdk/response_reader.h"

#include "cmq/exceptions.h"

namespace cmq::sdk {

void ResponseReader::Fail(std::string_view key, std::string_view problem) const {
  throw CMQClientException(CMQClientException::Kind::kBadResponse,
                           std::string(action_) + " response: field \"" + std::string(key) +
                               "\" " + std::string(problem));
}

std::string ResponseReader::String(std::string_view key) const {
  const JsonValue* v = object_.Find(key);
  if (v == nullptr) Fail(key, "is missing");
  if (!v->is_string()) Fail(key, "is not a string");
  return v->as_string();
}

int64_t ResponseReader::Int(std::string_view key) const {
  if (object_.Find(key) == nullptr) Fail(key, "is missing");
  return IntOr(key, 0);
}

bool ResponseReader::Bool(std::string_view key) const {
  const JsonValue* v = object_.Find(key);
  if (v == nullptr) Fail(key, "is missing");
  if (!v->is_bool()) Fail(key, "is not a boolean");
  return v->as_bool();
}

ResponseReader ResponseReader::Object(std::string_view key) const {
  const JsonValue* v = object_.Find(key);
  if (v == nullptr) Fail(key, "is missing");
  return Element(*v);
}

int64_t ResponseReader::IntOr(std::string_view key, int64_t fallback) const {
  const JsonValue* v = object_.Find(key);
  if (v == nullptr) return fallback;
  std::optional<int64_t> n = v->is_number() ? v->as_int() : std::nullopt;
  if (!n) Fail(key, "is not an integer");
  return *n;
}

const std::vector<JsonValue>& ResponseReader::Array(std::string_view key) const {
  const JsonValue* v = object_.Find(key);
  if (v == nullptr) Fail(key, "is missing");
  if (!v->is_array()) Fail(key, "is not an array");
  return v->items();
}

std::vector<std::string> ResponseReader::StringsOr(std::string_view key) const {
  std::vector<std::string> out;
  const JsonValue* v = object_.Find(key);
  if (v == nullptr || v->is_null()) return out;
  for (const JsonValue& item : Array(key)) {
    if (!item.is_string()) Fail(key, "holds a non-string");
    out.push_back(item.as_string());
  }
  return out;
}

ResponseReader ResponseReader::Element(const JsonValue& item) const {
  if (!item.is_object()) Fail("[]", "holds a non-object");
  return ResponseReader(action_, item);
}

Message ResponseReader::ReadMessage(bool with_handle) const {
  Message m;
  m.msgId = String("msgId");
  if (with_handle) m.receiptHandle = String("receiptHandle");
  m.msgBody = String("msgBody");
  m.enqueueTime = IntOr("enqueueTime", 0);
  m.nextVisibleTime = IntOr("nextVisibleTime", 0);
  m.firstDequeueTime = IntOr("firstDequeueTime", 0);
  m.dequeueCount = static_cast<int>(IntOr("dequeueCount", 0));
  return m;
}

std::vector<std::string> ResponseReader::MsgIds(size_t expected) const {
  const std::vector<JsonValue>& list = Array("msgList");
  if (list.size() != expected) {
    Fail("msgList", "has " + std::to_string(list.size()) + " entries for " +
                        std::to_string(expected) + " messages");
  }
  std::vector<std::string> ids;
  ids.reserve(list.size());
  for (const JsonValue& item : list) ids.push_back(Element(item).String("msgId"));
  return ids;
}

ListResult ResponseReader::ReadList(std::string_view list_key, std::string_view name_key,
                                    std::string_view id_key) const {
  ListResult out;
  out.totalCount = Int("totalCount");
  for (const JsonValue& item : Array(list_key)) {
    ResponseReader entry = Element(item);
    ResourceSummary summary;
    summary.name = entry.String(name_key);
    if (entry.Has(id_key)) summary.id = entry.String(id_key);
    if (entry.Has("protocol")) summary.protocol = entry.String("protocol");
    if (entry.Has("endpoint")) summary.endpoint = entry.String("endpoint");
    out.items.push_back(std::move(summary));
  }
  return out;
}

}  // namespace cmq::sdk
