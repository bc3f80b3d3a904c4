// Message trace: the life of a message as the records still held tell it, with the
// client address of each receive; the same after a restart; incomplete once the send
// was reclaimed; read from where the msgId's life begins, on a thread of its own.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.h"
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::DeadLetteringAfterOneReceive;
using testing::kAccount;
using testing::Received;

ClientAddress Client(std::string_view text) {
  ClientAddress a = ParseClientAddress(text);
  EXPECT_NE(a.len, 0) << text;
  return a;
}

// One line per event: its kind and fields, times left out ("...Time" fields too).
std::vector<std::string> Lines(const MessageTrace& t) {
  std::vector<std::string> out;
  for (const TraceEvent& e : t.events) {
    std::string line = e.event;
    for (const TraceField& f : e.fields) {
      if (f.name.ends_with("Time")) continue;
      line += " " + f.name + "=" + (f.is_number ? std::to_string(f.number) : f.text);
    }
    out.push_back(line);
  }
  return out;
}

class TraceTest : public testing::TopicFixture {
 protected:
  Result<MessageTrace> TraceOn(Broker* b, TraceSubject subject, std::string_view msg_id) {
    auto job = Call(&Broker::PrepareTrace, b)(kAccount, subject, msg_id);
    if (!job.ok()) return job.status();
    return (*job)->Run();
  }
  MessageTrace Trace(std::string_view queue, std::string_view msg_id, Broker* b = nullptr) {
    auto t = TraceOn(b != nullptr ? b : broker_.get(), {false, std::string(queue)}, msg_id);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : MessageTrace{};
  }
  MessageTrace TraceTopic(std::string_view topic, std::string_view msg_id) {
    auto t = TraceOn(broker_.get(), {true, std::string(topic)}, msg_id);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : MessageTrace{};
  }
  ReceivedMessage ReceiveFrom(std::string_view queue, std::string_view client) {
    Received out;
    broker_->ReceiveMessages(
        kAccount, queue, 1, 0,
        [&out](Result<std::vector<ReceivedMessage>> r) {
          out.called = true;
          if (r.ok()) out.messages = std::move(*r);
        },
        Client(client));
    if (!out.called) log_.MakeDurable();
    EXPECT_EQ(out.messages.size(), 1u);
    return out.messages.empty() ? ReceivedMessage{} : out.messages[0];
  }
};

TEST_F(TraceTest, ShowsEachReceiveWithItsClientThenTheDelete) {
  QueueAttributeUpdate u;
  u.visibility_timeout = 5;
  Create("q", u);
  const int64_t t0 = clock_.NowMs();
  std::string id = SendOne("q", "hello");
  SendOne("q", "other");
  ReceiveFrom("q", "10.0.0.7:51234");
  Advance(5000);  // visible again
  ReceivedMessage m = ReceiveFrom("q", "[2001:db8::1]:443");
  ASSERT_EQ(m.msg_id, id);
  ASSERT_TRUE(Delete("q", m.receipt_handle).ok());

  MessageTrace t = Trace("q", id);
  EXPECT_EQ(t.msg_id, id);
  EXPECT_TRUE(t.complete);
  EXPECT_EQ(Lines(t), (std::vector<std::string>{
                          "sent queueName=q",
                          "received queueName=q clientAddress=10.0.0.7:51234 dequeueCount=1",
                          "received queueName=q clientAddress=[2001:db8::1]:443 dequeueCount=2",
                          "deleted queueName=q",
                      }));
  ASSERT_EQ(t.events.size(), 4u);
  EXPECT_EQ(t.events[0].time_ms, t0);
  EXPECT_EQ(t.events[2].time_ms, t0 + 5000);
  EXPECT_EQ(t.events[2].fields[3].name, "nextVisibleTime");
  EXPECT_EQ(t.events[2].fields[3].number, t0 + 10000);
}

TEST_F(TraceTest, FollowsTheMessageIntoItsDeadLetterQueueAndBack) {
  Create("dlq");
  Create("src", DeadLetteringAfterOneReceive("dlq"));
  std::string id = SendOne("src", "doomed");
  ReceiveFrom("src", "10.0.0.1:1000");
  Advance(1000);  // visibility ends: moved to the DLQ
  auto task = Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  broker_->Tick();
  const std::vector<std::string> life = {
      "sent queueName=src",
      "received queueName=src clientAddress=10.0.0.1:1000 dequeueCount=1",
      "deadLettered queueName=src deadLetterQueue=dlq",
      "moved queueName=dlq destinationQueue=src taskHandle=" + task->task_handle,
  };
  EXPECT_EQ(Lines(Trace("src", id)), life);
  EXPECT_EQ(Lines(Trace("dlq", id)), life) << "the same life, seen from the DLQ";
}

TEST_F(TraceTest, PurgeRewindAndExpiry) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 1000;
  u.msg_retention_seconds = 2000;
  Create("q", u);
  const int64_t t0 = clock_.NowMs();
  std::string id = SendOne("q", "a");
  ASSERT_TRUE(Call(&Broker::PurgeQueue)(kAccount, "q").ok());
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0 / 1000).ok());
  Advance(2000 * 1000);
  MessageTrace t = Trace("q", id);
  EXPECT_TRUE(t.complete);
  EXPECT_EQ(Lines(t), (std::vector<std::string>{"sent queueName=q", "purged queueName=q",
                                                "rewound queueName=q", "expired queueName=q"}));
  EXPECT_EQ(t.events.back().time_ms, t0 + 2000 * 1000);
}

TEST_F(TraceTest, ATopicMessageWithItsDeliveriesAndPushes) {
  InstallSink();
  CreateTopic("news");
  Create("inbox");
  SubscribeQueue("news", "to-inbox", "inbox");
  SubscribeHttp("news", "hook");
  std::string id = PublishOne("news", "extra", {"sport"});
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  broker_->CompletePush(tasks[0].delivery_id, false, "HTTP 503");
  for (int i = 0; i < 20 && tasks_.empty(); ++i) Advance(1000);
  tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  broker_->CompletePush(tasks[0].delivery_id, true);

  MessageTrace t = TraceTopic("news", id);
  EXPECT_TRUE(t.complete);
  ASSERT_EQ(t.events.size(), 4u);
  const std::string queue_id = t.events[1].fields[2].text;
  EXPECT_EQ(Lines(t), (std::vector<std::string>{
                          "published topicName=news tags=sport",
                          "delivered subscriptionName=to-inbox queueName=inbox queueMsgId=" +
                              queue_id,
                          "pushFailed subscriptionName=hook endpoint=http://push.example/hook "
                          "attempt=1 error=HTTP 503",
                          "pushed subscriptionName=hook endpoint=http://push.example/hook attempt=2",
                      }));
  // The queue message the delivery made has a life of its own.
  EXPECT_EQ(Lines(Trace("inbox", queue_id)),
            (std::vector<std::string>{"sent queueName=inbox topicName=news "
                                      "subscriptionName=to-inbox topicMsgId=" + id}));
}

TEST_F(TraceTest, ARestartKeepsTheTrace) {
  Create("q");
  std::string id = SendOne("q", "a");
  ReceivedMessage m = ReceiveFrom("q", "192.0.2.10:40000");
  ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  std::unique_ptr<Broker> restarted = Recover();
  MessageTrace before = Trace("q", id);
  MessageTrace after = Trace("q", id, restarted.get());
  EXPECT_TRUE(after.complete);
  EXPECT_EQ(Lines(after), Lines(before));
  EXPECT_EQ(Lines(after)[1], "received queueName=q clientAddress=192.0.2.10:40000 dequeueCount=1");
}

TEST_F(TraceTest, AReclaimedSendMakesTheTraceIncomplete) {
  log_.SetSegmentCapacity(512);
  Create("q");
  std::string id = SendOne("q", "kept");
  ReceiveFrom("q", "10.0.0.1:1");
  const uint32_t send_segment = log_.CurrentSegment();
  for (int i = 0; i < 200 && log_.OldestSegment() <= send_segment; ++i) {
    SendOne("q", "churn-" + std::to_string(i));
    Received r = Receive("q", 16);
    for (const auto& got : r.messages) ASSERT_TRUE(Delete("q", got.receipt_handle).ok());
    for (int k = 0; k < 100 && broker_->NextDeadlineMs() <= clock_.NowMs(); ++k) broker_->Tick();
  }
  ASSERT_GT(log_.OldestSegment(), send_segment) << "the send was reclaimed";
  MessageTrace t = Trace("q", id);
  EXPECT_FALSE(t.complete);
  // What is still held is shown: the relocated message's later receives.
  for (const std::string& line : Lines(t)) EXPECT_NE(line.rfind("sent", 0), 0u) << line;
}

TEST_F(TraceTest, TheScanStartsWhereTheMessagesLifeBegins) {
  log_.SetSegmentCapacity(512);
  Create("q");
  for (int i = 0; i < 40; ++i) SendOne("q", "filler-" + std::to_string(i));
  const uint32_t before = log_.CurrentSegment();
  ASSERT_GE(before, log_.OldestSegment() + 3);
  log_.Roll();
  std::string id = SendOne("q", "late");
  MessageTrace t = Trace("q", id);
  EXPECT_TRUE(t.complete);
  EXPECT_EQ(Lines(t), (std::vector<std::string>{"sent queueName=q"}));
  EXPECT_GT(log_.last_cursor_from(), before) << "read from the segment of the send only";
}

TEST_F(TraceTest, TheJobRunsOnAnotherThread) {
  Create("q");
  std::string id = SendOne("q", "a");
  auto job = Call(&Broker::PrepareTrace)(kAccount, TraceSubject{false, "q"}, id);
  ASSERT_TRUE(job.ok());
  SendOne("q", "meanwhile");  // the broker goes on while the job reads its copy
  Result<MessageTrace> t = Status(ErrorCode::kInternal);
  std::thread reader([&] { t = (*job)->Run(); });
  reader.join();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Lines(*t), (std::vector<std::string>{"sent queueName=q"}));
}

TEST_F(TraceTest, ErrorsAndOtherAccounts) {
  Create("q");
  std::string id = SendOne("q", "a");
  auto error = [&](TraceSubject s, std::string_view msg_id) {
    return TraceOn(broker_.get(), std::move(s), msg_id).status().error();
  };
  EXPECT_EQ(error({false, "nosuch"}, id), ErrorCode::kQueueNotExist);
  EXPECT_EQ(error({true, "nosuch"}, id), ErrorCode::kTopicNotExist);
  EXPECT_EQ(error({false, "q"}, "999"), ErrorCode::kMsgIdInvalid) << "never given out";
  EXPECT_EQ(error({false, "q"}, "0"), ErrorCode::kMsgIdInvalid);
  EXPECT_EQ(error({false, "q"}, "abc"), ErrorCode::kMsgIdInvalid);
  // Another account's message: nothing of it shows, as for one whose records are gone.
  ASSERT_TRUE(Call(&Broker::CreateQueue)(kAccount + 1, "mine", {}).ok());
  auto other = Call(&Broker::SendMessages)(kAccount + 1, "mine", {"secret"}, 0);
  ASSERT_TRUE(other.ok());
  MessageTrace t = Trace("q", (*other)[0]);
  EXPECT_FALSE(t.complete);
  EXPECT_TRUE(t.events.empty());
}

TEST(ClientAddressTest, TextRoundTrip) {
  for (std::string_view text : {"10.0.0.7:51234", "[2001:db8::1]:443", "127.0.0.1:0"}) {
    EXPECT_EQ(ClientAddressText(ParseClientAddress(text)), text);
  }
  for (std::string_view bad : {"", "10.0.0.7", "10.0.0.7:65536", "2001:db8::1:443", "[10.0.0.1]:1",
                               "host:80", "10.0.0.7:-1"}) {
    EXPECT_EQ(ParseClientAddress(bad).len, 0) << bad;
  }
}

}  // namespace
}  // namespace cmq::broker
