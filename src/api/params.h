// Parameter access and validation for every action (docs/cmq-api.md 1.3, 4, 5.1,
// 6.4, 6.6, 6.7, 7.2, 8.2, 10.4). Handlers never look at the raw ParamList; they ask a
// Params, so every action gives the same error for the same kind of bad input:
//   absent required parameter      kLackedParameter  "<name>"
//   Int that is not an integer     kErrorType        "<name>"
//   Int outside its range          kOutOfRange       "<name>"
//   bad queue name                 kQueueNameFormat
//   bad topic / subscription name  kTopicNameFormat / kSubscriptionNameFormat
//   indexed list with a gap/start  kNotConsequent    "<name>"
//   indexed list too long          kBatchSizeOutOfRange "<name>"
//   malformed index ("name.x")     kParamKeyFormat   "<key>"
//   a value the signature omits    kUnsignedParameter "<key>"
//
// Lookup rules: an exact (case-sensitive) match is preferred, and only when no key
// matches exactly is a case-insensitive match used; of several, the last wins (the api
// refuses repeated names first, CheckNoRepeatedNames, so it never has several).
//
// Every read goes through one of these accessors, and each refuses a value that the
// request's signature left out ('@' values of a Python/PHP POST, 2.2): whatever an
// action acts on is signed (14.3), and an unsigned value it never reads is harmless.
//
// Thread-compatible; a Params borrows the ParamList, which must outlive it and every
// string_view it hands out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/topic_types.h"
#include "broker/types.h"
#include "common/form.h"
#include "common/status.h"

namespace cmq::api {

// Limits of single values shared by several actions (11).
inline constexpr int64_t kMinMaxMsgSize = 1024;  // maxMsgSize of queues and topics
inline constexpr int64_t kMaxMaxMsgSize = 1048576;
inline constexpr size_t kMaxBatchSize = 16;  // msgBody.N, receiptHandle.N, numOfMsg
inline constexpr int64_t kDefaultListLimit = 20;
inline constexpr int64_t kMaxListLimit = 50;  // ListQueue, ListTopic (100 for subscriptions)

// Request text echoed in an error message (a method, an action or parameter name) is
// cut to this many bytes, so a hostile request cannot make the answer large.
std::string Echo(std::string_view text);

// kNotRepeatable "<name>" if two parameters have the same name: equal ignoring ASCII
// case once every '_' is read as '.'. The lookups fold case and the signature cannot
// tell '_' from '.' (2.3), so a second value could stand in for a signed one (14.3).
Status CheckNoRepeatedNames(const ParamList& list);

// Spells every name as the string to sign does ('_' as '.'): an action then reads
// exactly what was signed. Call after verifying the signature.
void UseSignedNames(ParamList* list);

class Params {
 public:
  // `unsigned_params`: indices into *list of values the signature does not cover
  // (auth::Verified::unsigned_params).
  explicit Params(const ParamList* list, std::vector<size_t> unsigned_params = {})
      : list_(list), unsigned_(std::move(unsigned_params)) {}

  // The value of `name`, nullopt when absent.
  Result<std::optional<std::string_view>> OptionalString(std::string_view name) const;

  // Present (possibly empty) value, else kLackedParameter.
  Result<std::string_view> RequiredString(std::string_view name) const;

  // Integers are whole decimal strings ("-5", "30"; no spaces, no '+'). A digit string
  // too large for int64 is out of range, anything else non-numeric (including "") is
  // kErrorType.
  Result<std::optional<int64_t>> OptionalInt(std::string_view name, int64_t min, int64_t max) const;
  Result<int64_t> RequiredInt(std::string_view name, int64_t min, int64_t max) const;

  // Required queue name with valid syntax (`name` is the parameter, e.g.
  // "deadLetterQueueName").
  Result<std::string_view> QueueName(std::string_view name = "queueName") const;

  // Required topic name (kTopicNameFormat) and subscription name
  // (kSubscriptionNameFormat), same syntax as queue names.
  Result<std::string_view> TopicName() const;
  Result<std::string_view> SubscriptionName() const;

  // The values of `name.N` (N decimal, no sign, no leading zeros) in index order.
  // Indices must start at 0 or 1 and be contiguous; duplicate indices: last wins.
  // Returns an empty list when no indexed key is present (the plain key `name` does
  // not count). More than `max_count` distinct indices -> `too_many` (detail `name`).
  Result<std::vector<std::string_view>> Indexed(
      std::string_view name, size_t max_count,
      ErrorCode too_many = ErrorCode::kBatchSizeOutOfRange) const;

  // --- topics and subscriptions (4, 7.2, 8.2) -------------------------------------
  // Tags `name.N` (msgTag, filterTag): at most 5 (`too_many`), each 1..16 characters
  // (kOutOfRange) of UTF-8 without control characters (kErrorType; tags travel in
  // JSON and in the x-cmq-message-tag push header).
  Result<std::vector<std::string>> Tags(std::string_view name, ErrorCode too_many) const;
  // bindingKey.N: at most 5 (kTooManyBindingKeys), each at most 64 bytes
  // (kOutOfRange) and 15 dots (kTooManyDelimiters), valid UTF-8 (kErrorType). When no
  // bindingKey.N is present, the official PHP SDK's misspelling bindindKey.N is read
  // the same way (14.21a).
  Result<std::vector<std::string>> BindingKeys() const;
  // routingKey: nullopt when absent ("" is a present, empty key); at most 64 bytes
  // (kOutOfRange) and 15 dots (kTooManyDelimiters).
  Result<std::optional<std::string_view>> RoutingKey() const;
  // protocol: "http" or "queue", any case, "https" meaning http. Absent ->
  // kLackedParameter, anything else kUndefinedProtocol.
  Result<broker::Protocol> SubscriptionProtocol() const;
  // endpoint for `protocol`. Any whitespace -> kEndpointBlank. http: an absolute
  // "http://" or "https://" URL (scheme in any case) of at most 500 characters
  // (printable ASCII, a host, optional port 1-65535, no user info); queue: a queue
  // name. Anything else (a URL for queue is a protocol mismatch) -> kEndpointFormat.
  Result<std::string_view> Endpoint(broker::Protocol protocol) const;
  // notifyStrategy / notifyContentFormat (any case): nullopt when absent or "";
  // unknown values kUndefinedStrategy / kUndefinedContentFormat.
  Result<std::optional<broker::NotifyStrategy>> OptionalNotifyStrategy() const;
  Result<std::optional<broker::ContentFormat>> OptionalContentFormat() const;

 private:
  // kUnsignedParameter if list_[index] is one the signature left out.
  Status CheckSigned(size_t index) const;
  // The index of `name` in list_ (rules above), or nullopt.
  std::optional<size_t> IndexOf(std::string_view name) const;

  const ParamList* list_;
  std::vector<size_t> unsigned_;
};

// searchWord / offset / limit of the List actions (6.7): searchWord defaults to "",
// offset to 0 (negative -> kOutOfRange); limit <= 0 or absent means `default_limit`,
// and values above `max_limit` are clamped.
struct Paging {
  std::string_view search_word;
  int64_t offset = 0;
  int64_t limit = 0;
};
Result<Paging> ParsePaging(const Params& params, int64_t default_limit, int64_t max_limit);

// ^[A-Za-z][A-Za-z0-9_-]{0,63}$ (5.1).
bool IsValidResourceName(std::string_view name);

// Parses the deadLetterPolicy JSON text (6.4). Errors:
//   kDlqNotJson      not JSON, or not an object
//   kDlqQueueMember  deadLetterQueue missing or not a string
//   kDlqPolicyMember policy missing or not 0/1
//   kDlqParams       maxReceiveCount (policy 0) missing or outside 1..1000, or
//                    maxTimeToLive (policy 1) missing or outside 300..43200
// Integers may be JSON numbers or strings holding an integer. The broker checks the
// queue exists, nesting, binding count and maxTimeToLive < msgRetentionSeconds.
Result<broker::DeadLetterPolicy> ParseDeadLetterPolicy(std::string_view json);

// The deadLetterPolicy as the JSON text reported by Get/SetQueueAttributes.
std::string DeadLetterPolicyJson(const broker::DeadLetterPolicy& policy);

// Wire spellings of the subscription enums (8.1).
std::string_view ProtocolName(broker::Protocol protocol);
std::string_view NotifyStrategyName(broker::NotifyStrategy strategy);
std::string_view ContentFormatName(broker::ContentFormat format);

// Message bodies travel inside JSON responses, so they must be valid UTF-8 (6.6):
// kErrorType "msgBody" otherwise.
Status CheckBodyEncoding(std::string_view body);

}  // namespace cmq::api
