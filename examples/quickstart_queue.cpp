// The CMQ queue quick start with libcmq, step by step: create a queue with attributes,
// send, batch send, receive, batch receive, delete, rewind, delayed messages, and
// attributes. Each step checks that the server behaved as the quick start says.
//
//   CMQ_ENDPOINT=http://127.0.0.1:8080 CMQ_SECRET_ID=... CMQ_SECRET_KEY=... ./quickstart_queue
//
// Exit status: 0 when every step behaved as expected, 1 when one did not (the reason is
// printed), 2 when the environment variables are missing.
#include <cmq/cmq.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// A step that did not behave as the quick start says.
struct StepFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Expect(bool condition, const std::string& what) {
  if (!condition) throw StepFailed(what);
}

void Step(const std::string& title) { std::cout << "\n== " << title << "\n"; }

// Receives exactly `count` messages (long polling up to 10 s for each batch).
std::vector<cmq::Message> ReceiveAll(const cmq::Queue& queue, size_t count) {
  std::vector<cmq::Message> got;
  while (got.size() < count) {
    std::vector<cmq::Message> batch =
        queue.batchReceiveMessage(static_cast<int>(std::min<size_t>(16, count - got.size())), 10);
    got.insert(got.end(), batch.begin(), batch.end());
  }
  return got;
}

// True when the queue has no receivable message right now.
bool IsEmpty(const cmq::Queue& queue) {
  try {
    cmq::Message m = queue.receiveMessage(0);
    std::cout << "   unexpected message: " << m.msgBody << "\n";
    return false;
  } catch (const cmq::CMQNoMessageException&) {
    return true;
  }
}

std::set<std::string> Bodies(const std::vector<cmq::Message>& messages) {
  std::set<std::string> out;
  for (const cmq::Message& m : messages) out.insert(m.msgBody);
  return out;
}

std::vector<std::string> Handles(const std::vector<cmq::Message>& messages) {
  std::vector<std::string> out;
  for (const cmq::Message& m : messages) out.push_back(m.receiptHandle);
  return out;
}

int Run(const std::string& endpoint, const std::string& secret_id,
        const std::string& secret_key) {
  cmq::Account account(endpoint, secret_id, secret_key);
  const std::string name = "quickstart-queue-" + std::to_string(::getpid()) + "-" +
                           std::to_string(std::time(nullptr));

  Step("1. create queue " + name + " with attributes");
  cmq::QueueMeta meta;
  meta.maxMsgHeapNum = 1000000;
  meta.pollingWaitSeconds = 0;
  meta.visibilityTimeout = 30;
  meta.maxMsgSize = 65536;
  meta.msgRetentionSeconds = 3600;
  meta.rewindSeconds = 3600;  // keep deleted messages for rewind
  std::string queue_id = account.createQueue(name, meta);
  std::cout << "   queueId " << queue_id << "\n";
  cmq::ListResult listed = account.listQueue(name);
  std::vector<std::string> names = listed.names();
  Expect(std::find(names.begin(), names.end(), name) != names.end(),
         "listQueue does not show the new queue");
  cmq::Queue queue = account.getQueue(name);
  cmq::QueueMeta got = queue.getQueueAttributes();
  Expect(got.visibilityTimeout == 30 && got.msgRetentionSeconds == 3600 &&
             got.rewindSeconds == 3600 && got.maxMsgSize == 65536,
         "getQueueAttributes does not return the attributes the queue was created with");
  const int64_t start_time = std::time(nullptr);

  Step("2. send a message");
  std::string msg_id = queue.sendMessage("hello cmq");
  std::cout << "   sent msgId " << msg_id << "\n";

  Step("3. receive it and delete it");
  cmq::Message m = queue.receiveMessage(10);
  std::cout << "   received \"" << m.msgBody << "\" msgId " << m.msgId << " dequeueCount "
            << m.dequeueCount << "\n";
  Expect(m.msgBody == "hello cmq" && m.msgId == msg_id, "received a different message");
  Expect(m.dequeueCount == 1, "first receive should have dequeueCount 1");
  Expect(m.nextVisibleTime >= m.enqueueTime + 30, "nextVisibleTime ignores visibilityTimeout");
  queue.deleteMessage(m.receiptHandle);
  Expect(IsEmpty(queue), "the queue is not empty after the delete");
  try {
    queue.deleteMessage(m.receiptHandle);
    throw StepFailed("a receipt handle could be used twice");
  } catch (const cmq::CMQServerException& e) {
    std::cout << "   deleting again fails as expected: " << e.getCode() << " " << e.getMessage()
              << "\n";
    Expect(e.getCode() == 4430, "a used receipt handle should give 4430");
  }

  Step("4. batch send three messages");
  std::vector<std::string> ids = queue.batchSendMessage({"batch-1", "batch-2", "batch-3"});
  Expect(ids.size() == 3, "batchSendMessage should return three msgIds");
  for (const std::string& id : ids) std::cout << "   sent msgId " << id << "\n";

  Step("5. batch receive them and batch delete them");
  std::vector<cmq::Message> batch = ReceiveAll(queue, 3);
  Expect(Bodies(batch) == std::set<std::string>{"batch-1", "batch-2", "batch-3"},
         "batch receive returned other messages");
  for (const cmq::Message& b : batch) std::cout << "   received \"" << b.msgBody << "\"\n";
  queue.batchDeleteMessage(Handles(batch));
  Expect(IsEmpty(queue), "the queue is not empty after the batch delete");

  Step("6. rewind the queue to before the first send: deleted messages come back");
  queue.rewindQueue(start_time);
  std::vector<cmq::Message> rewound = ReceiveAll(queue, 4);
  Expect(Bodies(rewound) == std::set<std::string>{"hello cmq", "batch-1", "batch-2", "batch-3"},
         "rewind did not bring back the four deleted messages");
  for (const cmq::Message& r : rewound) {
    std::cout << "   back again: \"" << r.msgBody << "\" dequeueCount " << r.dequeueCount << "\n";
  }
  queue.batchDeleteMessage(Handles(rewound));
  Expect(IsEmpty(queue), "the queue is not empty after deleting the rewound messages");

  Step("7. a delayed message is invisible until its delay has passed");
  const int delay = 2;
  const int64_t sent_at = std::time(nullptr);
  queue.sendMessage("delayed", delay);
  Expect(queue.getQueueAttributes().delayMsgNum == 1, "delayMsgNum should count the message");
  Expect(IsEmpty(queue), "the delayed message was receivable before its delay");
  std::cout << "   not receivable yet, as expected\n";
  cmq::Message delayed = queue.receiveMessage(10);
  const int64_t received_at = std::time(nullptr);
  Expect(delayed.msgBody == "delayed", "received something else than the delayed message");
  Expect(received_at >= sent_at + delay - 1, "the delayed message came too early");
  std::cout << "   received after about " << (received_at - sent_at) << " s\n";
  queue.deleteMessage(delayed.receiptHandle);

  Step("8. change and read attributes");
  cmq::QueueMeta change;
  change.visibilityTimeout = 10;
  change.pollingWaitSeconds = 1;
  queue.setQueueAttributes(change);
  cmq::QueueMeta now = queue.getQueueAttributes();
  std::cout << "   visibilityTimeout " << now.visibilityTimeout.value_or(-1)
            << " pollingWaitSeconds " << now.pollingWaitSeconds.value_or(-1) << " activeMsgNum "
            << now.activeMsgNum << " inactiveMsgNum " << now.inactiveMsgNum << " delayMsgNum "
            << now.delayMsgNum << " rewindMsgNum " << now.rewindMsgNum << "\n";
  Expect(now.visibilityTimeout == 10 && now.pollingWaitSeconds == 1,
         "setQueueAttributes did not change the attributes");
  Expect(now.msgRetentionSeconds == 3600, "setQueueAttributes changed an attribute not given");
  Expect(now.activeMsgNum == 0 && now.inactiveMsgNum == 0 && now.delayMsgNum == 0,
         "the queue should hold no pending message");
  Expect(now.rewindMsgNum == 5, "the five deleted messages should be kept for rewind");

  Step("9. delete the queue");
  account.deleteQueue(name);
  try {
    queue.getQueueAttributes();
    throw StepFailed("the deleted queue still answers");
  } catch (const cmq::CMQServerException& e) {
    Expect(e.getCode() == 4440, "a deleted queue should give 4440");
  }
  std::cout << "\nqueue quick start: every step behaved as expected\n";
  return 0;
}

}  // namespace

int main() {
  const char* endpoint = std::getenv("CMQ_ENDPOINT");
  const char* secret_id = std::getenv("CMQ_SECRET_ID");
  const char* secret_key = std::getenv("CMQ_SECRET_KEY");
  if (!endpoint || !secret_id || !secret_key) {
    std::cerr << "set CMQ_ENDPOINT (e.g. http://127.0.0.1:8080), CMQ_SECRET_ID and "
                 "CMQ_SECRET_KEY\n";
    return 2;
  }
  try {
    return Run(endpoint, secret_id, secret_key);
  } catch (const StepFailed& e) {
    std::cerr << "FAILED: " << e.what() << "\n";
  } catch (const cmq::CMQException& e) {
    std::cerr << "FAILED: " << e.what() << "\n";
  }
  return 1;
}
