// consume --exec: runs a shell command per message, with the body on its stdin.
#pragma once

#include <string>

#include "cmq/message.h"

namespace cmqctl {

// Runs `/bin/sh -c command` with the message body on stdin and CMQ_QUEUE, CMQ_MSG_ID,
// CMQ_RECEIPT_HANDLE, CMQ_DEQUEUE_COUNT and CMQ_ENQUEUE_TIME in its environment; its
// stdout and stderr are cmqctl's. Waits for it and returns its exit status (128 + N
// when killed by signal N), or -1 with *error set when it could not be started.
// SIGPIPE must be ignored by the caller (a command that does not read stdin is fine).
int RunExecHook(const std::string& command, const std::string& queue, const cmq::Message& m,
                std::string* error);

}  // namespace cmqctl
