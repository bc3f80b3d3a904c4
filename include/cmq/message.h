// A message as (Batch)ReceiveMessage returns it, and as Queue::peekMessage shows it.
#pragma once

#include <cstdint>
#include <string>

namespace cmq {

struct Message {
  std::string msgId;
  // Proof of this receive; pass it to deleteMessage. Valid only until nextVisibleTime
  // and only until the message is received again.
  std::string receiptHandle;
  std::string msgBody;
  // Times are Unix seconds.
  int64_t enqueueTime = 0;
  int64_t nextVisibleTime = 0;   // when the message becomes receivable again
  int64_t firstDequeueTime = 0;  // when it was first received
  int dequeueCount = 0;          // receives so far, this one included
};

// A message as Queue::peekMessage shows it (a cmqd extension): `message` without a
// receiptHandle (peeking is not receiving), and its state.
struct PeekedMessage {
  Message message;
  std::string state;  // "active", "delayed" or "inactive"
};

}  // namespace cmq
