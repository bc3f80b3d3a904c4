// libcmq against the real cmqd: every SDK method, long-poll timeouts, a restart of the
// server under a kept-alive connection, and the thread-safety contract (many threads
// sharing one Account and Queue; this binary also runs under ThreadSanitizer).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cmq/cmq.h"
#include "support/cmqd_process.h"
#include "support/eventually.h"
#include "support/free_port.h"

namespace cmq {
namespace {

using testing::CmqdProcess;
using testing::FreeLoopbackPort;
using testing::TempDir;

std::string Unique(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

std::vector<std::string> Handles(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.receiptHandle);
  return out;
}

// Receives exactly `count` messages, long polling; fails the test on a timeout.
std::vector<Message> ReceiveN(const Queue& queue, size_t count) {
  std::vector<Message> got;
  while (got.size() < count) {
    std::vector<Message> batch =
        queue.batchReceiveMessage(static_cast<int>(std::min<size_t>(16, count - got.size())), 10);
    got.insert(got.end(), batch.begin(), batch.end());
  }
  return got;
}

template <typename E, typename F>
E Catch(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  }
  ADD_FAILURE() << "expected an exception";
  throw std::runtime_error("expected an exception");
}

// One cmqd for the whole suite.
class SdkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new CmqdProcess(dir_->path(), {"--min-max-msg-heap-num", "1"});
    ASSERT_TRUE(server_->Start()) << server_->output();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr && server_->running());
    account_ = std::make_unique<Account>(server_->endpoint(), CmqdProcess::kSecretId,
                                         CmqdProcess::kSecretKey);
  }
  Queue NewQueue(QueueMeta meta = {}) {
    std::string name = Unique("sdkq");
    account_->createQueue(name, meta);
    return account_->getQueue(name);
  }

  static TempDir* dir_;
  static CmqdProcess* server_;
  std::unique_ptr<Account> account_;
};
TempDir* SdkTest::dir_ = nullptr;
CmqdProcess* SdkTest::server_ = nullptr;

TEST_F(SdkTest, QueueManagement) {
  std::string name = Unique("managed");
  QueueMeta meta;
  meta.maxMsgHeapNum = 1000;
  meta.pollingWaitSeconds = 2;
  meta.visibilityTimeout = 45;
  meta.maxMsgSize = 2048;
  meta.msgRetentionSeconds = 7200;
  meta.rewindSeconds = 600;
  std::string id = account_->createQueue(name, meta);
  EXPECT_EQ(id.rfind("queue-", 0), 0u) << id;

  EXPECT_EQ(Catch<CMQServerException>([&] { account_->createQueue(name); }).getCode(), 4460);

  ListResult page = account_->listQueue(name);
  ASSERT_EQ(page.totalCount, 1);
  EXPECT_EQ(page.items[0].name, name);
  EXPECT_EQ(page.items[0].id, id);
  ListResult first = account_->listQueue("", 0, 1);
  EXPECT_EQ(first.items.size(), 1u);
  EXPECT_GE(first.totalCount, 1);

  Queue queue = account_->getQueue(name);
  QueueMeta got = queue.getQueueAttributes();
  EXPECT_EQ(got.maxMsgHeapNum, 1000);
  EXPECT_EQ(got.pollingWaitSeconds, 2);
  EXPECT_EQ(got.visibilityTimeout, 45);
  EXPECT_EQ(got.maxMsgSize, 2048);
  EXPECT_EQ(got.msgRetentionSeconds, 7200);
  EXPECT_EQ(got.rewindSeconds, 600);
  EXPECT_GT(got.createTime, 0);
  EXPECT_EQ(got.activeMsgNum, 0);

  QueueMeta change;
  change.visibilityTimeout = 5;
  queue.setQueueAttributes(change);
  got = queue.getQueueAttributes();
  EXPECT_EQ(got.visibilityTimeout, 5);
  EXPECT_EQ(got.maxMsgSize, 2048);  // not given, unchanged

  CMQServerException bad = Catch<CMQServerException>([&] {
    QueueMeta wrong;
    wrong.visibilityTimeout = 0;
    queue.setQueueAttributes(wrong);
  });
  EXPECT_EQ(bad.getCode(), 4000);
  EXPECT_EQ(bad.getModuleCode(), 10350);
  EXPECT_FALSE(bad.getRequestId().empty());

  account_->deleteQueue(name);
  EXPECT_EQ(Catch<CMQServerException>([&] { queue.getQueueAttributes(); }).getCode(), 4440);
  EXPECT_EQ(Catch<CMQServerException>([&] { account_->deleteQueue(name); }).getCode(), 4440);
}

TEST_F(SdkTest, SendReceiveDelete) {
  Queue queue = NewQueue();
  std::string id = queue.sendMessage("hello \xe4\xbd\xa0\xe5\xa5\xbd & = + %");
  Message m = queue.receiveMessage(5);
  EXPECT_EQ(m.msgId, id);
  EXPECT_EQ(m.msgBody, "hello \xe4\xbd\xa0\xe5\xa5\xbd & = + %");
  EXPECT_EQ(m.dequeueCount, 1);
  EXPECT_GT(m.enqueueTime, 0);
  EXPECT_GE(m.firstDequeueTime, m.enqueueTime);
  EXPECT_GE(m.nextVisibleTime, m.enqueueTime + 30);
  queue.deleteMessage(m.receiptHandle);
  EXPECT_EQ(Catch<CMQServerException>([&] { queue.deleteMessage(m.receiptHandle); }).getCode(),
            4430);
  EXPECT_THROW(queue.receiveMessage(0), CMQNoMessageException);
}

TEST_F(SdkTest, BatchSendReceiveDelete) {
  Queue queue = NewQueue();
  std::vector<std::string> bodies;
  for (int i = 0; i < 16; ++i) bodies.push_back(std::string("m").append(std::to_string(i)));
  std::vector<std::string> ids = queue.batchSendMessage(bodies);
  ASSERT_EQ(ids.size(), 16u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 16u);
  std::vector<Message> got = ReceiveN(queue, 16);
  std::set<std::string> got_bodies;
  for (const Message& m : got) got_bodies.insert(m.msgBody);
  EXPECT_EQ(got_bodies, std::set<std::string>(bodies.begin(), bodies.end()));
  queue.batchDeleteMessage(Handles(got));
  EXPECT_EQ(queue.getQueueAttributes().inactiveMsgNum, 0);
}

TEST_F(SdkTest, BatchDeleteReportsEachFailedHandle) {
  Queue queue = NewQueue();
  queue.batchSendMessage({"a", "b"});
  std::vector<Message> got = ReceiveN(queue, 2);
  queue.deleteMessage(got[0].receiptHandle);
  CMQBatchDeleteException partial = Catch<CMQBatchDeleteException>(
      [&] { queue.batchDeleteMessage({got[0].receiptHandle, got[1].receiptHandle}); });
  EXPECT_EQ(partial.getCode(), 6010);
  ASSERT_EQ(partial.errorList().size(), 1u);
  EXPECT_EQ(partial.errorList()[0].receiptHandle, got[0].receiptHandle);
  EXPECT_EQ(partial.errorList()[0].code, 4430);
  CMQBatchDeleteException total = Catch<CMQBatchDeleteException>(
      [&] { queue.batchDeleteMessage({got[0].receiptHandle, got[1].receiptHandle}); });
  EXPECT_EQ(total.getCode(), 6020);
  EXPECT_EQ(total.errorList().size(), 2u);
}

TEST_F(SdkTest, LongPollTimesOutWithNoMessage) {
  Queue queue = NewQueue();
  CMQNoMessageException e = Catch<CMQNoMessageException>([&] { queue.receiveMessage(1); });
  EXPECT_EQ(e.getCode(), 7000);
  EXPECT_EQ(e.getModuleCode(), 10200);
  EXPECT_FALSE(e.getRequestId().empty());
  EXPECT_THROW(queue.batchReceiveMessage(16, 1), CMQNoMessageException);
  // The queue's own pollingWaitSeconds applies when the call gives none.
  QueueMeta wait_one;
  wait_one.pollingWaitSeconds = 1;
  queue.setQueueAttributes(wait_one);
  EXPECT_THROW(queue.receiveMessage(), CMQNoMessageException);
}

TEST_F(SdkTest, LongPollWakesUpOnSend) {
  Queue queue = NewQueue();
  std::string body;
  std::thread receiver([&] { body = queue.receiveMessage(20).msgBody; });
  queue.sendMessage("wake up");
  receiver.join();
  EXPECT_EQ(body, "wake up");
}

TEST_F(SdkTest, DelayedMessageIsNotReceivableBeforeItsDelay) {
  Queue queue = NewQueue();
  queue.sendMessage("later", 3600);
  EXPECT_THROW(queue.receiveMessage(0), CMQNoMessageException);
  EXPECT_EQ(queue.getQueueAttributes().delayMsgNum, 1);
}

TEST_F(SdkTest, RewindBringsDeletedMessagesBack) {
  QueueMeta meta;
  meta.rewindSeconds = 3600;
  Queue queue = NewQueue(meta);
  int64_t start = std::time(nullptr);
  queue.sendMessage("again");
  Message m = queue.receiveMessage(5);
  queue.deleteMessage(m.receiptHandle);
  EXPECT_THROW(queue.receiveMessage(0), CMQNoMessageException);
  queue.rewindQueue(start);
  Message back = queue.receiveMessage(5);
  EXPECT_EQ(back.msgBody, "again");
  EXPECT_EQ(back.msgId, m.msgId);

  Queue no_rewind = NewQueue();
  EXPECT_EQ(Catch<CMQServerException>([&] { no_rewind.rewindQueue(start); }).getCode(), 6050);
}

TEST_F(SdkTest, PeekPurgeAndTrafficTotals) {
  Queue queue = NewQueue();
  std::string first = queue.sendMessage("one");
  queue.sendMessage("two");
  Message held = queue.receiveMessage(5);
  std::vector<PeekedMessage> peeked = queue.peekMessage();
  ASSERT_EQ(peeked.size(), 2u);
  EXPECT_EQ(peeked[0].message.msgId, first);
  EXPECT_EQ(peeked[0].state, "inactive");
  EXPECT_TRUE(peeked[0].message.receiptHandle.empty());
  EXPECT_EQ(peeked[0].message.dequeueCount, 1);
  EXPECT_EQ(peeked[1].message.msgBody, "two");
  EXPECT_EQ(queue.peekMessage(16, "active").size(), 1u);
  EXPECT_THROW(queue.peekMessage(33), CMQClientException);
  EXPECT_EQ(Catch<CMQServerException>([&] { queue.peekMessage(1, "gone"); }).getModuleCode(),
            10900);

  QueueMeta before = queue.getQueueAttributes();
  EXPECT_EQ(before.msgSentTotal, 2);
  EXPECT_EQ(before.msgReceivedTotal, 1);
  EXPECT_EQ(before.msgDeletedTotal, 0);
  EXPECT_EQ(queue.purgeQueue(), 2);
  QueueMeta after = queue.getQueueAttributes();
  EXPECT_EQ(after.activeMsgNum + after.inactiveMsgNum, 0);
  EXPECT_EQ(after.msgDeletedTotal, 2);
  EXPECT_EQ(Catch<CMQServerException>([&] { queue.deleteMessage(held.receiptHandle); }).getCode(),
            4430);
}

TEST_F(SdkTest, RedriveMovesADeadLetterQueueBack) {
  Queue dlq = NewQueue();
  QueueMeta with_dlq;
  with_dlq.deadLetterPolicy = R"({"deadLetterQueue":")" + dlq.getQueueName() +
                              R"(","policy":0,"maxReceiveCount":3})";
  Queue source = NewQueue(with_dlq);
  // Filled directly: the redrive moves whatever the dead-letter queue holds.
  std::vector<std::string> ids = dlq.batchSendMessage({"a", "b", "c"});

  MessageMoveTask started = dlq.startMessageMoveTask();
  EXPECT_EQ(started.taskHandle.rfind("move-", 0), 0u) << started.taskHandle;
  EXPECT_EQ(started.sourceQueueName, dlq.getQueueName());
  EXPECT_EQ(started.destinationQueueName, source.getQueueName());
  EXPECT_EQ(started.toMoveMsgNum, 3);
  EXPECT_GT(started.startedTime, 0);
  // The server moves them by itself; wait for it to say so.
  std::vector<MessageMoveTask> tasks;
  ASSERT_TRUE(testing::Eventually([&] {
    tasks = dlq.listMessageMoveTasks();
    return tasks.size() != 1 || tasks[0].status != "RUNNING";
  }));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].taskHandle, started.taskHandle);
  EXPECT_EQ(tasks[0].status, "COMPLETED");
  EXPECT_EQ(tasks[0].movedMsgNum, 3);
  EXPECT_EQ(tasks[0].failureReason, "");
  std::vector<PeekedMessage> moved = source.peekMessage();
  ASSERT_EQ(moved.size(), 3u);
  for (size_t i = 0; i < moved.size(); ++i) EXPECT_EQ(moved[i].message.msgId, ids[i]);
  EXPECT_EQ(Catch<CMQServerException>([&] { source.startMessageMoveTask(); }).getModuleCode(),
            10910);
  EXPECT_EQ(Catch<CMQServerException>([&] { dlq.startMessageMoveTask(dlq.getQueueName()); })
                .getModuleCode(),
            10930);
}

TEST_F(SdkTest, ServerErrorsCarryTheirCodes) {
  QueueMeta small;
  small.maxMsgSize = 1024;
  Queue queue = NewQueue(small);
  EXPECT_EQ(Catch<CMQServerException>([&] { queue.sendMessage(std::string(2000, 'x')); }).getCode(),
            4400);
  Queue missing = account_->getQueue(Unique("missing"));
  CMQServerException e = Catch<CMQServerException>([&] { missing.sendMessage("x"); });
  EXPECT_EQ(e.getCode(), 4440);
  EXPECT_EQ(e.getModuleCode(), 10100);

  Account wrong_key(server_->endpoint(), CmqdProcess::kSecretId, "not-the-key");
  EXPECT_EQ(Catch<CMQServerException>([&] { wrong_key.listQueue(); }).getCode(), 4100);
}

TEST_F(SdkTest, GetSha1AndNoKeepAliveWork) {
  CMQClientOptions options;
  options.httpMethod = HttpMethod::kGet;
  options.signMethod = SignMethod::kHmacSHA1;
  options.keepAlive = false;
  Account account(server_->endpoint() + "/v2/index.php", CmqdProcess::kSecretId,
                  CmqdProcess::kSecretKey, options);
  std::string name = Unique("getq");
  account.createQueue(name);
  Queue queue = account.getQueue(name);
  queue.sendMessage("via GET");
  EXPECT_EQ(queue.receiveMessage(5).msgBody, "via GET");
  EXPECT_EQ(account.client()->connectionsOpened(), 3u);
  EXPECT_EQ(account.client()->idleConnections(), 0);
}

TEST_F(SdkTest, TopicsAndSubscriptions) {
  std::string topic_name = Unique("sdkt");
  std::string topic_id = account_->createTopic(topic_name, 4096, 1);
  EXPECT_EQ(topic_id.rfind("topic-", 0), 0u) << topic_id;
  EXPECT_EQ(Catch<CMQServerException>([&] { account_->createTopic(topic_name); }).getCode(), 4460);
  EXPECT_EQ(account_->listTopic(topic_name).names(), std::vector<std::string>{topic_name});

  Topic topic = account_->getTopic(topic_name);
  TopicMeta meta = topic.getTopicAttributes();
  EXPECT_EQ(meta.maxMsgSize, 4096);
  EXPECT_EQ(meta.filterType, 1);
  EXPECT_EQ(meta.msgRetentionSeconds, 86400);
  TopicMeta change;
  change.maxMsgSize = 8192;
  topic.setTopicAttributes(change);
  EXPECT_EQ(topic.getTopicAttributes().maxMsgSize, 8192);

  // Publishing without subscriptions is refused.
  EXPECT_EQ(Catch<CMQServerException>([&] { topic.publishMessage("x"); }).getCode(), 6030);

  Queue target = NewQueue();
  std::string sub_id = account_->createSubscribe(topic_name, "s1", target.getQueueName(), "queue",
                                                 {"red"}, {}, "BACKOFF_RETRY");
  EXPECT_EQ(sub_id.rfind("subsc-", 0), 0u) << sub_id;
  ListResult subs = topic.listSubscription();
  ASSERT_EQ(subs.totalCount, 1);
  EXPECT_EQ(subs.items[0].name, "s1");
  EXPECT_EQ(subs.items[0].id, sub_id);
  EXPECT_EQ(subs.items[0].endpoint, target.getQueueName());

  Subscription sub = account_->getSubscription(topic_name, "s1");
  SubscriptionMeta sm = sub.getSubscriptionAttributes();
  EXPECT_EQ(sm.protocol, "queue");
  EXPECT_EQ(sm.endpoint, target.getQueueName());
  EXPECT_EQ(sm.notifyStrategy, "BACKOFF_RETRY");
  EXPECT_EQ(sm.notifyContentFormat, "SIMPLIFIED");
  EXPECT_EQ(sm.filterTag, std::vector<std::string>{"red"});

  topic.publishMessage("red one", {"red"});
  EXPECT_EQ(Catch<CMQServerException>([&] { topic.publishMessage("blue", {"blue"}); }).getCode(),
            6030);
  std::vector<std::string> ids = topic.batchPublishMessage({"r1", "r2"}, {"red", "green"});
  EXPECT_EQ(ids.size(), 2u);
  std::vector<Message> delivered = ReceiveN(target, 3);
  std::multiset<std::string> bodies;
  for (const Message& m : delivered) bodies.insert(m.msgBody);
  EXPECT_EQ(bodies, (std::multiset<std::string>{"red one", "r1", "r2"}));

  SubscriptionMeta set;
  set.filterTag = {"blue"};
  set.notifyStrategy = "EXPONENTIAL_DECAY_RETRY";
  sub.setSubscriptionAttributes(set);
  sm = sub.getSubscriptionAttributes();
  EXPECT_EQ(sm.filterTag, std::vector<std::string>{"blue"});
  EXPECT_EQ(sm.notifyStrategy, "EXPONENTIAL_DECAY_RETRY");
  sub.clearFilterTags();
  EXPECT_TRUE(sub.getSubscriptionAttributes().filterTag.empty());
  topic.publishMessage("untagged");
  EXPECT_EQ(target.receiveMessage(10).msgBody, "untagged");

  CMQServerException busy = Catch<CMQServerException>([&] { account_->deleteTopic(topic_name); });
  EXPECT_EQ(busy.getCode(), 4000);
  EXPECT_EQ(busy.getModuleCode(), 10540);
  account_->deleteSubscribe(topic_name, "s1");
  EXPECT_EQ(Catch<CMQServerException>([&] { sub.getSubscriptionAttributes(); }).getModuleCode(),
            10560);
  account_->deleteTopic(topic_name);
  EXPECT_EQ(Catch<CMQServerException>([&] { topic.getTopicAttributes(); }).getCode(), 4440);
}

TEST_F(SdkTest, RoutingKeys) {
  std::string topic_name = Unique("sdkr");
  account_->createTopic(topic_name, 65536, 2);
  Topic topic = account_->getTopic(topic_name);
  Queue target = NewQueue();
  account_->createSubscribe(topic_name, "s", target.getQueueName(), "queue", {}, {"a.*"});
  topic.publishMessage("match", {}, "a.b");
  EXPECT_EQ(Catch<CMQServerException>([&] { topic.publishMessage("no", {}, "a.b.c"); }).getCode(),
            6030);
  EXPECT_EQ(target.receiveMessage(10).msgBody, "match");
  account_->deleteSubscribe(topic_name, "s");
  account_->deleteTopic(topic_name);
}

// The server restarts while the client holds an idle kept-alive connection: the next
// call reopens it transparently, and nothing acknowledged is lost.
TEST(SdkRestartTest, ServerRestartUnderAKeptAliveConnection) {
  TempDir dir;
  uint16_t port = FreeLoopbackPort();
  ASSERT_NE(port, 0);
  // A later --listen wins over CmqdProcess's own "127.0.0.1:0", so both runs use one port.
  CmqdProcess server(dir.path(), {"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(server.Start()) << server.output();
  ASSERT_EQ(server.port(), port);
  Account account(server.endpoint(), CmqdProcess::kSecretId, CmqdProcess::kSecretKey);
  account.createQueue("restart");
  Queue queue = account.getQueue("restart");
  queue.sendMessage("before");
  EXPECT_EQ(account.client()->idleConnections(), 1);

  EXPECT_EQ(server.Terminate(), 0) << server.output();
  ASSERT_TRUE(server.Start()) << server.output();
  ASSERT_EQ(server.port(), port);

  queue.sendMessage("after");  // on the stale connection: reopened, sent once
  std::vector<Message> got = ReceiveN(queue, 2);
  std::set<std::string> bodies;
  for (const Message& m : got) bodies.insert(m.msgBody);
  EXPECT_EQ(bodies, (std::set<std::string>{"before", "after"}));
  EXPECT_EQ(account.client()->connectionsOpened(), 2u);
  EXPECT_THROW(queue.receiveMessage(0), CMQNoMessageException);  // "after" was not sent twice
}

// The thread-safety contract: 8 threads share one Account and one Queue; 4 send and 4
// receive and delete. Every message arrives exactly once and the pool stays bounded.
TEST_F(SdkTest, EightThreadsShareOneAccountAndQueue) {
  CMQClientOptions options;
  options.connectionPoolSize = 4;
  Account account(server_->endpoint(), CmqdProcess::kSecretId, CmqdProcess::kSecretKey, options);
  std::string name = Unique("shared");
  account.createQueue(name);
  const Queue queue = account.getQueue(name);
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  constexpr int kPerProducer = 40;
  constexpr int kTotal = kProducers * kPerProducer;

  std::mutex mu;
  std::multiset<std::string> received;
  std::vector<std::string> errors;
  std::atomic<int> deleted{0};
  auto record_error = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    errors.push_back(what);
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      try {
        for (int i = 0; i < kPerProducer; i += 4) {
          if (i % 8 == 0) {
            std::vector<std::string> batch;
            for (int j = i; j < i + 4; ++j) batch.push_back(std::to_string(p) + "-" + std::to_string(j));
            queue.batchSendMessage(batch);
          } else {
            for (int j = i; j < i + 4; ++j) queue.sendMessage(std::to_string(p) + "-" + std::to_string(j));
          }
        }
      } catch (const CMQException& e) {
        record_error(e.what());
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      while (deleted.load() < kTotal && std::chrono::steady_clock::now() < deadline) {
        try {
          std::vector<Message> got;
          if (c % 2 == 0) {
            got.push_back(queue.receiveMessage(1));
          } else {
            got = queue.batchReceiveMessage(8, 1);
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            for (const Message& m : got) received.insert(m.msgBody);
          }
          if (got.size() == 1) {
            queue.deleteMessage(got[0].receiptHandle);
          } else {
            queue.batchDeleteMessage(Handles(got));
          }
          deleted += static_cast<int>(got.size());
        } catch (const CMQNoMessageException&) {
          // Empty for a second; look again until everything is deleted.
        } catch (const CMQException& e) {
          record_error(e.what());
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  ASSERT_EQ(deleted.load(), kTotal);
  std::multiset<std::string> expected;
  for (int p = 0; p < kProducers; ++p) {
    for (int i = 0; i < kPerProducer; ++i) expected.insert(std::to_string(p) + "-" + std::to_string(i));
  }
  EXPECT_EQ(received, expected);
  EXPECT_LE(account.client()->idleConnections(), 4);
  QueueMeta after = queue.getQueueAttributes();
  EXPECT_EQ(after.activeMsgNum + after.inactiveMsgNum, 0);
}

}  // namespace
}  // namespace cmq
