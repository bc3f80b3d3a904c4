#include "api/params.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

#include "common/endpoint_url.h"
#include "common/json.h"
#include "common/signing.h"
#include "common/strings.h"

namespace cmq::api {
namespace {

constexpr int kMinMaxReceiveCount = 1;
constexpr int kMaxMaxReceiveCount = 1000;
constexpr int kMinTimeToLive = 300;
constexpr int kMaxTimeToLive = 43200;
constexpr size_t kMaxEchoedBytes = 64;

// Topic model limits (4, 11).
constexpr size_t kMaxTags = 5;
constexpr size_t kMaxTagChars = 16;
constexpr size_t kMaxBindingKeys = 5;
constexpr size_t kMaxKeyBytes = 64;  // routing and binding keys
constexpr size_t kMaxKeyDots = 15;
constexpr size_t kMaxEndpointChars = 500;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Code points of valid UTF-8: every byte that is not a continuation byte.
size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool HasControlCharacter(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A routing or binding key: length and dots (9.3).
Status CheckKey(std::string_view name, std::string_view key) {
  if (key.size() > kMaxKeyBytes) return Status(ErrorCode::kOutOfRange, std::string(name));
  if (static_cast<size_t>(std::count(key.begin(), key.end(), '.')) > kMaxKeyDots) {
    return Status(ErrorCode::kTooManyDelimiters, std::string(name));
  }
  return Status::Ok();
}

bool IsDigitString(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// Whether `key` starts with `prefix`, exactly or ignoring ASCII case.
bool HasPrefix(std::string_view key, std::string_view prefix, bool ignore_case) {
  if (key.size() < prefix.size()) return false;
  std::string_view head = key.substr(0, prefix.size());
  return ignore_case ? EqualsIgnoreCase(head, prefix) : head == prefix;
}

// An http(s) URL the pusher can use (common/endpoint_url.h), of at most 500
// characters (8.1).
bool IsValidHttpUrl(std::string_view url) {
  return url.size() <= kMaxEndpointChars && ParseEndpointUrl(url).ok();
}

// An integer member of the policy: a JSON number, or a string holding an integer.
std::optional<int64_t> JsonInteger(const JsonValue* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->as_int();
  if (v->is_string()) return ParseInt64(v->as_string());
  return std::nullopt;
}

}  // namespace

std::string Echo(std::string_view text) {
  return std::string(text.substr(0, std::min(text.size(), kMaxEchoedBytes)));
}

Status CheckNoRepeatedNames(const ParamList& list) {
  std::vector<std::pair<std::string, size_t>> names;  // (folded signed name, index)
  names.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    names.emplace_back(AsciiLower(SignedName(list[i].first)), i);
  }
  std::sort(names.begin(), names.end());
  for (size_t i = 1; i < names.size(); ++i) {
    if (names[i].first == names[i - 1].first) {
      return Status(ErrorCode::kNotRepeatable, Echo(list[names[i].second].first));
    }
  }
  return Status::Ok();
}

void UseSignedNames(ParamList* list) {
  for (Param& p : *list) {
    if (p.first.find('_') != std::string::npos) p.first = SignedName(p.first);
  }
}

Status Params::CheckSigned(size_t index) const {
  if (std::find(unsigned_.begin(), unsigned_.end(), index) == unsigned_.end()) {
    return Status::Ok();
  }
  return Status(ErrorCode::kUnsignedParameter, Echo((*list_)[index].first));
}

std::optional<size_t> Params::IndexOf(std::string_view name) const {
  std::optional<size_t> folded;
  for (size_t i = list_->size(); i-- > 0;) {
    const std::string& key = (*list_)[i].first;
    if (key == name) return i;
    if (!folded && EqualsIgnoreCase(key, name)) folded = i;
  }
  return folded;
}

Result<std::optional<std::string_view>> Params::OptionalString(std::string_view name) const {
  std::optional<size_t> index = IndexOf(name);
  if (!index) return std::optional<std::string_view>();
  CMQ_RETURN_IF_ERROR(CheckSigned(*index));
  return std::optional<std::string_view>((*list_)[*index].second);
}

Result<std::string_view> Params::RequiredString(std::string_view name) const {
  Result<std::optional<std::string_view>> v = OptionalString(name);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status(ErrorCode::kLackedParameter, std::string(name));
  return **v;
}

Result<std::optional<int64_t>> Params::OptionalInt(std::string_view name, int64_t min,
                                                   int64_t max) const {
  Result<std::optional<std::string_view>> v = OptionalString(name);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<int64_t>();
  std::optional<int64_t> n = ParseInt64(**v);
  if (!n) {
    // A number too large for int64 is still a number: report the range, not the type.
    return Status(IsDigitString(**v) ? ErrorCode::kOutOfRange : ErrorCode::kErrorType,
                  std::string(name));
  }
  if (*n < min || *n > max) return Status(ErrorCode::kOutOfRange, std::string(name));
  return n;
}

Result<int64_t> Params::RequiredInt(std::string_view name, int64_t min, int64_t max) const {
  Result<std::optional<int64_t>> v = OptionalInt(name, min, max);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status(ErrorCode::kLackedParameter, std::string(name));
  return **v;
}

Result<std::string_view> Params::QueueName(std::string_view name) const {
  Result<std::string_view> v = RequiredString(name);
  if (!v.ok()) return v;
  if (!IsValidResourceName(*v)) return Status(ErrorCode::kQueueNameFormat);
  return v;
}

Result<std::string_view> Params::TopicName() const {
  Result<std::string_view> v = RequiredString("topicName");
  if (!v.ok()) return v;
  if (!IsValidResourceName(*v)) return Status(ErrorCode::kTopicNameFormat);
  return v;
}

Result<std::string_view> Params::SubscriptionName() const {
  Result<std::string_view> v = RequiredString("subscriptionName");
  if (!v.ok()) return v;
  if (!IsValidResourceName(*v)) return Status(ErrorCode::kSubscriptionNameFormat);
  return v;
}

Result<std::vector<std::string_view>> Params::Indexed(std::string_view name, size_t max_count,
                                                      ErrorCode too_many) const {
  const std::string prefix = std::string(name) + ".";
  // Exact spelling first; the case-insensitive fallback only when nothing matches.
  bool ignore_case = std::none_of(list_->begin(), list_->end(), [&](const Param& p) {
    return HasPrefix(p.first, prefix, /*ignore_case=*/false);
  });
  std::map<uint64_t, std::string_view> by_index;  // later duplicates overwrite
  for (size_t i = 0; i < list_->size(); ++i) {
    const auto& [key, value] = (*list_)[i];
    if (!HasPrefix(key, prefix, ignore_case)) continue;
    std::optional<uint32_t> index = ParseParamIndex(std::string_view(key).substr(prefix.size()));
    if (!index) return Status(ErrorCode::kParamKeyFormat, Echo(key));
    CMQ_RETURN_IF_ERROR(CheckSigned(i));
    by_index[*index] = value;
  }
  if (by_index.size() > max_count) return Status(too_many, std::string(name));
  std::vector<std::string_view> values;
  values.reserve(by_index.size());
  uint64_t expected = by_index.empty() ? 0 : by_index.begin()->first;
  if (expected > 1) return Status(ErrorCode::kNotConsequent, std::string(name));
  for (const auto& [index, value] : by_index) {
    if (index != expected++) return Status(ErrorCode::kNotConsequent, std::string(name));
    values.push_back(value);
  }
  return values;
}

Result<std::vector<std::string>> Params::Tags(std::string_view name, ErrorCode too_many) const {
  Result<std::vector<std::string_view>> values = Indexed(name, kMaxTags, too_many);
  if (!values.ok()) return values.status();
  std::vector<std::string> tags;
  for (std::string_view tag : *values) {
    if (!IsValidUtf8(tag) || HasControlCharacter(tag)) {
      return Status(ErrorCode::kErrorType, std::string(name));
    }
    size_t length = Utf8Length(tag);
    if (length == 0 || length > kMaxTagChars) {
      return Status(ErrorCode::kOutOfRange, std::string(name));
    }
    tags.emplace_back(tag);
  }
  return tags;
}

Result<std::vector<std::string>> Params::BindingKeys() const {
  Result<std::vector<std::string_view>> values =
      Indexed("bindingKey", kMaxBindingKeys, ErrorCode::kTooManyBindingKeys);
  if (values.ok() && values->empty()) {
    values = Indexed("bindindKey", kMaxBindingKeys, ErrorCode::kTooManyBindingKeys);
  }
  if (!values.ok()) return values.status();
  std::vector<std::string> keys;
  for (std::string_view key : *values) {
    CMQ_RETURN_IF_ERROR(CheckKey("bindingKey", key));
    if (!IsValidUtf8(key)) return Status(ErrorCode::kErrorType, "bindingKey");
    keys.emplace_back(key);
  }
  return keys;
}

Result<std::optional<std::string_view>> Params::RoutingKey() const {
  Result<std::optional<std::string_view>> key = OptionalString("routingKey");
  if (key.ok() && key->has_value()) CMQ_RETURN_IF_ERROR(CheckKey("routingKey", **key));
  return key;
}

Result<broker::Protocol> Params::SubscriptionProtocol() const {
  Result<std::string_view> v = RequiredString("protocol");
  if (!v.ok()) return v.status();
  if (EqualsIgnoreCase(*v, "http") || EqualsIgnoreCase(*v, "https")) {
    return broker::Protocol::kHttp;
  }
  if (EqualsIgnoreCase(*v, "queue")) return broker::Protocol::kQueue;
  return Status(ErrorCode::kUndefinedProtocol);
}

Result<std::string_view> Params::Endpoint(broker::Protocol protocol) const {
  Result<std::string_view> v = RequiredString("endpoint");
  if (!v.ok()) return v;
  if (std::any_of(v->begin(), v->end(), IsSpace)) return Status(ErrorCode::kEndpointBlank);
  bool valid = protocol == broker::Protocol::kHttp ? IsValidHttpUrl(*v) : IsValidResourceName(*v);
  if (!valid) return Status(ErrorCode::kEndpointFormat);
  return v;
}

Result<std::optional<broker::NotifyStrategy>> Params::OptionalNotifyStrategy() const {
  Result<std::optional<std::string_view>> v = OptionalString("notifyStrategy");
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->empty()) return std::optional<broker::NotifyStrategy>();
  for (auto s :
       {broker::NotifyStrategy::kBackoffRetry, broker::NotifyStrategy::kExponentialDecayRetry}) {
    if (EqualsIgnoreCase(**v, NotifyStrategyName(s))) return std::optional(s);
  }
  return Status(ErrorCode::kUndefinedStrategy);
}

Result<std::optional<broker::ContentFormat>> Params::OptionalContentFormat() const {
  Result<std::optional<std::string_view>> v = OptionalString("notifyContentFormat");
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->empty()) return std::optional<broker::ContentFormat>();
  for (auto f : {broker::ContentFormat::kJson, broker::ContentFormat::kSimplified}) {
    if (EqualsIgnoreCase(**v, ContentFormatName(f))) return std::optional(f);
  }
  return Status(ErrorCode::kUndefinedContentFormat);
}

std::string_view ProtocolName(broker::Protocol protocol) {
  return protocol == broker::Protocol::kQueue ? "queue" : "http";
}

std::string_view NotifyStrategyName(broker::NotifyStrategy strategy) {
  return strategy == broker::NotifyStrategy::kBackoffRetry ? "BACKOFF_RETRY"
                                                           : "EXPONENTIAL_DECAY_RETRY";
}

std::string_view ContentFormatName(broker::ContentFormat format) {
  return format == broker::ContentFormat::kSimplified ? "SIMPLIFIED" : "JSON";
}

Result<Paging> ParsePaging(const Params& params, int64_t default_limit, int64_t max_limit) {
  Paging paging;
  Result<std::optional<std::string_view>> word = params.OptionalString("searchWord");
  if (!word.ok()) return word.status();
  paging.search_word = word->value_or("");
  Result<std::optional<int64_t>> offset = params.OptionalInt("offset", 0, INT64_MAX);
  if (!offset.ok()) return offset.status();
  paging.offset = offset->value_or(0);
  Result<std::optional<int64_t>> limit = params.OptionalInt("limit", INT64_MIN, INT64_MAX);
  if (!limit.ok()) return limit.status();
  paging.limit = limit->value_or(0) <= 0 ? default_limit : std::min(**limit, max_limit);
  return paging;
}

bool IsValidResourceName(std::string_view name) {
  if (name.empty() || name.size() > 64 || !IsAlpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-'; });
}

Result<broker::DeadLetterPolicy> ParseDeadLetterPolicy(std::string_view json) {
  Result<JsonValue> parsed = ParseJson(json);
  if (!parsed.ok() || !parsed->is_object()) return Status(ErrorCode::kDlqNotJson);
  const JsonValue& root = *parsed;

  broker::DeadLetterPolicy policy;
  const JsonValue* queue = root.Find("deadLetterQueue");
  if (queue == nullptr || !queue->is_string()) return Status(ErrorCode::kDlqQueueMember);
  policy.queue_name = queue->as_string();

  std::optional<int64_t> kind = JsonInteger(root.Find("policy"));
  if (!kind || (*kind != 0 && *kind != 1)) return Status(ErrorCode::kDlqPolicyMember);
  policy.policy = static_cast<int>(*kind);

  if (policy.policy == 0) {
    std::optional<int64_t> count = JsonInteger(root.Find("maxReceiveCount"));
    if (!count || *count < kMinMaxReceiveCount || *count > kMaxMaxReceiveCount) {
      return Status(ErrorCode::kDlqParams);
    }
    policy.max_receive_count = static_cast<int>(*count);
  } else {
    std::optional<int64_t> ttl = JsonInteger(root.Find("maxTimeToLive"));
    if (!ttl || *ttl < kMinTimeToLive || *ttl > kMaxTimeToLive) {
      return Status(ErrorCode::kDlqParams);
    }
    policy.max_time_to_live = static_cast<int>(*ttl);
  }
  return policy;
}

std::string DeadLetterPolicyJson(const broker::DeadLetterPolicy& policy) {
  JsonWriter w;
  w.BeginObject()
      .Field("deadLetterQueue", policy.queue_name)
      .Field("policy", policy.policy)
      .Field("maxReceiveCount", policy.max_receive_count)
      .Field("maxTimeToLive", policy.max_time_to_live)
      .EndObject();
  return w.Take();
}

Status CheckBodyEncoding(std::string_view body) {
  if (!IsValidUtf8(body)) return Status(ErrorCode::kErrorType, "msgBody");
  return Status::Ok();
}

}  // namespace cmq::api
