// A message as (Batch)ReceiveMessage returns it.
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

}  // namespace cmq
