// TraceMessage (a cmqd extension, docs/cmq-api.md 13.1) for Queue and Topic.
#pragma once

#include <string>

#include "cmq/message_trace.h"
#include "common/form.h"
#include "common/json.h"

namespace cmq::sdk {

// The parameters of a trace of `msg_id` of the queue or topic `name` (`name_key`:
// "queueName" or "topicName"). An empty msgId is a client error (thrown).
ParamList TraceParams(const char* name_key, const std::string& name, const std::string& msg_id);
// The answer read; a missing or mistyped field throws as ResponseReader does.
MessageTrace ReadMessageTrace(const JsonValue& response);

}  // namespace cmq::sdk
