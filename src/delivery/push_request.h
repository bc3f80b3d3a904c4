// The bytes of one HTTP push (docs/cmq-api.md 9.5): request line, headers and body.
#pragma once

#include <string>
#include <string_view>

#include "broker/topic_types.h"
#include "common/endpoint_url.h"

namespace cmq::delivery {

// The notification body: the JSON object of 9.5 for ContentFormat::kJson (TopicOwner
// as a JSON number: an AccountId is always numeric), the raw message body for
// kSimplified.
std::string FormatPushBody(const broker::PushTask& task);

// A complete HTTP/1.1 POST of `task` to `url` (target and Host from the URL), with
// x-cmq-request-id `request_id`, x-cmq-message-tag only when the task has tags, and
// keep-alive implied.
std::string FormatPushRequest(const broker::PushTask& task, const EndpointUrl& url,
                              std::string_view request_id);

}  // namespace cmq::delivery
