// Message helpers shared by msg receive/delete/consume/drain/peek.
#pragma once

#include <string>
#include <vector>

#include "cmq/exceptions.h"
#include "cmq/message.h"
#include "cmq/queue.h"
#include "command.h"

namespace cmqctl {

// A received message as an aligned key/value block (body escaped onto one line); a
// peeked one (no receipt handle) with its state instead of the handle.
std::string MessageText(const cmq::Message& m);
std::string MessageText(const cmq::PeekedMessage& m);

// Deletes the handles in batches of 16 and returns those that failed (invalid or
// expired handles). With `throw_on_failure` the first failure throws instead: the
// server's exception for a single handle, CMQBatchDeleteException for a batch.
std::vector<cmq::CMQBatchDeleteException::Failure> DeleteHandles(
    const cmq::Queue& queue, const std::vector<std::string>& handles, bool throw_on_failure = true);

// msg consume and msg drain (consume_commands.cc).
void AddConsumeCommands(ResourceDef* resource);
// msg trace (trace_command.cc).
void AddTraceCommand(ResourceDef* resource);

}  // namespace cmqctl
