// The operators' message operations (cmqd extensions): PeekMessages changes nothing,
// PurgeQueue is one record that replay applies the same way, before and after a crash;
// a message move task (redrive) moves a dead-letter queue back in recorded batches
// and goes on after a restart, losing and duplicating nothing.
#include "broker/broker_test_util.h"
#include "broker/records.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::DeadLetteringAfterOneReceive;
using testing::ExpectCounters;
using testing::kAccount;
using testing::Received;

class MessageOpsTest : public BrokerFixture {
 protected:
  Result<std::vector<PeekedMessage>> Peek(std::string_view queue, int n,
                                          std::optional<PeekState> only = std::nullopt,
                                          Broker* broker = nullptr) {
    return Call(&Broker::PeekMessages, broker)(kAccount, queue, n, only);
  }

  // A broker replaying `log` as a restart would (before its first Tick). The log lives
  // as long as the fixture.
  std::unique_ptr<Broker> RecoverFrom(std::unique_ptr<journal::MemRecordLog> log) {
    journal::MemRecordLog* kept = recovered_logs_.emplace_back(std::move(log)).get();
    auto b = std::make_unique<Broker>(&clock_, kept, limits_);
    for (const auto& r : kept->Records()) {
      Status s = b->Replay(r.type, r.payload, r.location);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    b->FinishRecovery();
    return b;
  }

  size_t RecordCount() const { return log_.Records().size(); }

  // "src" with dead-letter queue "dlq" after one receive; `dead` messages moved there.
  void MakeDeadLetters(int dead, std::string_view source = "src") {
    Create(source, DeadLetteringAfterOneReceive("dlq"));
    for (int i = 0; i < dead; ++i) SendOne(source, "dead-" + std::to_string(i));
    for (int i = 0; i < dead; ++i) ReceiveOne(source);
    Advance(1000);  // visibility ends: moved to the DLQ
  }

  Result<std::vector<MoveTaskView>> Tasks(std::string_view source, Broker* broker = nullptr) {
    return (broker != nullptr ? broker : broker_.get())->ListMessageMoveTasks(kAccount, source);
  }

  // Bodies of every Active message of `queue`, oldest first.
  std::vector<std::string> ActiveBodies(std::string_view queue, Broker* broker = nullptr) {
    std::vector<std::string> out;
    auto seen = Peek(queue, 32, PeekState::kActive, broker);
    EXPECT_TRUE(seen.ok());
    if (seen.ok()) {
      for (const PeekedMessage& m : *seen) out.push_back(m.body);
    }
    return out;
  }

  std::vector<std::unique_ptr<journal::MemRecordLog>> recovered_logs_;
};

TEST_F(MessageOpsTest, PeekShowsMessagesInOrderAndChangesNothing) {
  Create("q");
  SendOne("q", "first");
  SendOne("q", "second");
  SendOne("q", "later", 100);
  ReceivedMessage held = ReceiveOne("q");
  ASSERT_EQ(held.body, "first");
  const size_t records = RecordCount();

  auto all = Peek("q", 16);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].body, "first");
  EXPECT_EQ((*all)[0].msg_id, held.msg_id);
  EXPECT_EQ((*all)[0].state, PeekState::kInactive);
  EXPECT_EQ((*all)[0].dequeue_count, 1);
  EXPECT_EQ((*all)[0].next_visible_time, held.next_visible_time);
  EXPECT_EQ((*all)[1].body, "second");
  EXPECT_EQ((*all)[1].state, PeekState::kActive);
  EXPECT_EQ((*all)[1].dequeue_count, 0);
  EXPECT_EQ((*all)[2].body, "later");
  EXPECT_EQ((*all)[2].state, PeekState::kDelayed);
  EXPECT_EQ((*all)[2].next_visible_time, NowS() + 100);

  EXPECT_EQ(RecordCount(), records);
  ExpectCounters(Counters("q"), 1, 1, 1, 0);
  // The held receipt handle is still the newest one.
  EXPECT_TRUE(Delete("q", held.receipt_handle).ok());
}

TEST_F(MessageOpsTest, PeekFiltersByStateAndLimitsTheCount) {
  Create("q");
  Send("q", {"a", "b", "c"});
  SendOne("q", "d", 50);
  auto two = Peek("q", 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].body, "b");

  auto delayed = Peek("q", 16, PeekState::kDelayed);
  ASSERT_TRUE(delayed.ok());
  ASSERT_EQ(delayed->size(), 1u);
  EXPECT_EQ((*delayed)[0].body, "d");
  auto inactive = Peek("q", 16, PeekState::kInactive);
  ASSERT_TRUE(inactive.ok());
  EXPECT_TRUE(inactive->empty());

  // A delay that ended shows as active even before Tick ran.
  clock_.Advance(50000);
  auto active = Peek("q", 16, PeekState::kActive);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->size(), 4u);
}

TEST_F(MessageOpsTest, PeekSkipsDeletedMessagesAndKnowsMissingQueues) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 1000;
  Create("q", u);
  SendOne("q", "gone");
  SendOne("q", "kept");
  ASSERT_TRUE(Delete("q", ReceiveOne("q").receipt_handle).ok());
  auto seen = Peek("q", 16);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].body, "kept");
  EXPECT_EQ(Peek("nosuch", 16).status().error(), ErrorCode::kQueueNotExist);
}

TEST_F(MessageOpsTest, PeekAnswersOnlyOnceTheMessagesAreDurable) {
  Create("q");
  log_.SetAutoDurable(false);
  auto sent = Call(&Broker::SendMessages).Start(kAccount, "q", {"x"}, 0);
  auto peeked = Call(&Broker::PeekMessages).Start(kAccount, "q", 16, std::nullopt);
  EXPECT_FALSE(peeked->has_value());
  log_.MakeDurable();
  ASSERT_TRUE(peeked->has_value());
  ASSERT_TRUE((*peeked)->ok());
  EXPECT_EQ((**peeked)->size(), 1u);
  EXPECT_TRUE(sent->has_value());
}

TEST_F(MessageOpsTest, PurgeDeletesEveryMessageWithOneRecord) {
  Create("q");
  Send("q", {"a", "b", "c"});
  SendOne("q", "delayed", 100);
  ReceivedMessage held = ReceiveOne("q");
  const size_t records = RecordCount();

  auto purged = Call(&Broker::PurgeQueue)(kAccount, "q");
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 4);
  EXPECT_EQ(RecordCount(), records + 1);
  EXPECT_EQ(log_.Records().back().type, kRecPurge);
  ExpectCounters(Counters("q"), 0, 0, 0, 0);
  EXPECT_EQ(Counters("q").min_msg_time, 0);
  EXPECT_EQ(Delete("q", held.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_EQ(Receive("q").status.error(), ErrorCode::kNoMessage);

  // The queue works on as before.
  SendOne("q", "after");
  EXPECT_EQ(ReceiveOne("q").body, "after");
  EXPECT_EQ(Call(&Broker::PurgeQueue)(kAccount, "nosuch").status().error(),
            ErrorCode::kQueueNotExist);
}

TEST_F(MessageOpsTest, PurgedMessagesStayRewindableLikeDeletedOnes) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 1000;
  Create("q", u);
  int64_t t0 = NowS();
  Send("q", {"a", "b"});
  ASSERT_TRUE(Call(&Broker::PurgeQueue)(kAccount, "q").ok());
  ExpectCounters(Counters("q"), 0, 0, 0, 2);
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0).ok());
  EXPECT_EQ(ReceiveOne("q").body, "a");
}

TEST_F(MessageOpsTest, ReplayAppliesThePurgeAndKeepsWhatCameAfter) {
  Create("q");
  Send("q", {"a", "b"});
  ReceiveOne("q");
  ASSERT_TRUE(Call(&Broker::PurgeQueue)(kAccount, "q").ok());
  SendOne("q", "after");
  std::unique_ptr<Broker> other = RecoverFrom(log_.Clone());
  ExpectCounters(other->GetQueue(kAccount, "q")->counters, 1, 0, 0, 0);
  auto seen = Peek("q", 16, std::nullopt, other.get());
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].body, "after");
}

TEST_F(MessageOpsTest, CrashBeforeThePurgeIsDurableLosesNoMessage) {
  Create("q");
  Send("q", {"a", "b"});
  log_.SetAutoDurable(false);
  auto purged = Call(&Broker::PurgeQueue).Start(kAccount, "q");
  EXPECT_FALSE(purged->has_value()) << "answered before its record was durable";
  std::unique_ptr<Broker> other = RecoverFrom(log_.CloneDurable());
  ExpectCounters(other->GetQueue(kAccount, "q")->counters, 2, 0, 0, 0);

  log_.MakeDurable();
  ASSERT_TRUE(purged->has_value());
  ASSERT_TRUE((*purged)->ok());
  EXPECT_EQ(***purged, 2);
  other = RecoverFrom(log_.CloneDurable());
  ExpectCounters(other->GetQueue(kAccount, "q")->counters, 0, 0, 0, 0);
}

TEST_F(MessageOpsTest, PurgeOfADeletedQueueIsIgnoredInReplay) {
  Create("q");
  SendOne("q", "a");
  ASSERT_TRUE(Call(&Broker::PurgeQueue)(kAccount, "q").ok());
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  Create("q");
  SendOne("q", "new");
  std::unique_ptr<Broker> other = RecoverFrom(log_.Clone());
  ExpectCounters(other->GetQueue(kAccount, "q")->counters, 1, 0, 0, 0);
}

TEST_F(MessageOpsTest, RedriveMovesTheDeadLettersBackToTheirSourceQueue) {
  Create("dlq");
  MakeDeadLetters(3);
  ExpectCounters(Counters("dlq"), 3, 0, 0, 0);
  std::string dead_id = Peek("dlq", 1)->front().msg_id;

  auto task = Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(task->status, "RUNNING");
  EXPECT_EQ(task->to_move, 3);
  EXPECT_EQ(task->destination_queue, "src");
  EXPECT_LE(broker_->NextDeadlineMs(), clock_.NowMs()) << "a running task is due at once";
  broker_->Tick();
  broker_->Tick();
  auto tasks = Tasks("dlq");
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].status, "COMPLETED");
  EXPECT_EQ((*tasks)[0].moved, 3);
  EXPECT_EQ((*tasks)[0].task_handle, task->task_handle);
  EXPECT_GT(broker_->NextDeadlineMs(), clock_.NowMs()) << "nothing more to do now";
  ExpectCounters(Counters("dlq"), 0, 0, 0, 0);
  EXPECT_EQ(ActiveBodies("src"), (std::vector<std::string>{"dead-0", "dead-1", "dead-2"}));
  ReceivedMessage back = ReceiveOne("src");
  EXPECT_EQ(back.msg_id, dead_id);
  EXPECT_EQ(back.dequeue_count, 1) << "a fresh message of its queue";
}

TEST_F(MessageOpsTest, RedriveToANamedQueueAndItsErrors) {
  Create("dlq");
  Create("other");
  MakeDeadLetters(2, "a");
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "other", std::nullopt).status().error(),
            ErrorCode::kNotDeadLetterQueue);
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "nosuch", std::nullopt).status().error(),
            ErrorCode::kQueueNotExist);
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "nosuch").status().error(),
            ErrorCode::kQueueNotExist);
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "DLQ").status().error(),
            ErrorCode::kMoveTargetInvalid);
  MakeDeadLetters(1, "b");  // a second source queue
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt).status().error(),
            ErrorCode::kMoveTargetAmbiguous);

  auto task = Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "other");
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  EXPECT_EQ(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "other").status().error(),
            ErrorCode::kMoveTaskRunning);
  broker_->Tick();
  broker_->Tick();
  EXPECT_EQ(Tasks("dlq")->front().status, "COMPLETED");
  EXPECT_EQ(Counters("other").active, 3);
  EXPECT_EQ(Tasks("nosuch").status().error(), ErrorCode::kQueueNotExist);
}

TEST_F(MessageOpsTest, RedriveMovesOnlyWhatWasThereAndInBatches) {
  Create("dlq");
  MakeDeadLetters(static_cast<int>(Broker::kMoveBatch) + 10);
  const size_t records = RecordCount();
  ASSERT_TRUE(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt).ok());
  broker_->Tick();
  EXPECT_EQ(RecordCount(), records + 2);  // the start, one batch
  EXPECT_EQ(Tasks("dlq")->front().moved, static_cast<int64_t>(Broker::kMoveBatch));
  EXPECT_EQ(Tasks("dlq")->front().status, "RUNNING");
  broker_->Tick();
  broker_->Tick();
  EXPECT_EQ(Tasks("dlq")->front().status, "COMPLETED");
  EXPECT_EQ(Tasks("dlq")->front().moved, static_cast<int64_t>(Broker::kMoveBatch) + 10);
  EXPECT_EQ(Counters("dlq").active, 0);
}

TEST_F(MessageOpsTest, DestinationDeletedFailsTheTask) {
  Create("dlq");
  Create("other");
  MakeDeadLetters(1);
  ASSERT_TRUE(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "other").ok());
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "other").ok());
  broker_->Tick();
  auto tasks = Tasks("dlq");
  EXPECT_EQ(tasks->front().status, "FAILED");
  EXPECT_EQ(tasks->front().failure_reason, "the destination queue was deleted");
  EXPECT_EQ(Counters("dlq").active, 1) << "nothing moved, nothing lost";
}

// Ending is a record too: a restart shows an ended task as it ended and runs nothing
// more of it (before kRecMoveTaskEnd a replayed task was RUNNING again: a failed one
// retried, a completed one moved what had come back to the dead-letter queue since).
TEST_F(MessageOpsTest, AnEndedTaskStaysEndedAfterARestart) {
  Create("dlq");
  Create("other");
  MakeDeadLetters(3);
  ASSERT_TRUE(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "other").ok());
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "other").ok());
  broker_->Tick();
  ASSERT_EQ(Tasks("dlq")->front().status, "FAILED");
  EXPECT_EQ(log_.Records().back().type, kRecMoveTaskEnd);
  auto completed = Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt);
  ASSERT_TRUE(completed.ok()) << completed.status().ToString();
  broker_->Tick();
  broker_->Tick();
  ASSERT_EQ(Tasks("dlq")->front().status, "COMPLETED");
  // One of the moved messages is dead-lettered again after the task completed.
  ReceiveOne("src");
  Advance(1000);
  ASSERT_EQ(Counters("dlq").active, 1);

  std::unique_ptr<Broker> other = RecoverFrom(log_.Clone());
  const size_t records = recovered_logs_.back()->Records().size();
  auto tasks = Tasks("dlq", other.get());
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].status, "COMPLETED");
  EXPECT_EQ((*tasks)[0].moved, 3);
  EXPECT_EQ((*tasks)[1].status, "FAILED");
  EXPECT_EQ((*tasks)[1].failure_reason, "the destination queue was deleted");
  other->Tick();
  EXPECT_EQ(Tasks("dlq", other.get())->front().status, "COMPLETED");
  EXPECT_EQ(other->GetQueue(kAccount, "dlq")->counters.active, 1) << "not moved again";
  EXPECT_EQ(recovered_logs_.back()->Records().size(), records) << "no record of a task";
}

// A task that runs while reclamation drops old segments keeps its start record: a
// restart in the middle knows the task and its progress and finishes it, and every
// dead letter is moved exactly once. (Without the pin the start record's segment went,
// and the restart forgot the task, leaving the rest of the DLQ where it was.)
TEST_F(MessageOpsTest, ARunningTaskKeepsItsStartRecordThroughReclamation) {
  log_.SetSegmentCapacity(4096);
  Create("dlq");
  QueueAttributeUpdate small;
  small.max_msg_heap_num = 8;  // the task moves at most 8 a Tick: it runs long
  Create("back", small);
  const int dead = 600;
  MakeDeadLetters(dead);
  ASSERT_TRUE(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", "back").ok());
  const uint32_t start_segment = journal::SegmentOf(log_.Records().back().location);
  // One Tick (a running task keeps the broker due), then a consumer drains "back".
  int drained = 0;
  auto step = [&](Broker* b) {
    ASSERT_LE(b->NextDeadlineMs(), clock_.NowMs());
    b->Tick();
    Received r = Receive("back", 16, b);
    for (const ReceivedMessage& m : r.messages) {
      ASSERT_TRUE(Delete("back", m.receipt_handle, b).ok());
      ++drained;
    }
  };
  for (int i = 0; i < 200 && Tasks("dlq")->front().moved < dead / 2; ++i) step(broker_.get());
  ASSERT_EQ(Tasks("dlq")->front().status, "RUNNING");
  EXPECT_GT(log_.OldestSegment(), 1u) << "reclamation dropped segments meanwhile";
  EXPECT_LE(log_.OldestSegment(), start_segment) << "the start record's segment is kept";

  std::unique_ptr<Broker> other = RecoverFrom(log_.Clone());
  auto tasks = Tasks("dlq", other.get());
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u) << "the restart knows the task";
  EXPECT_EQ((*tasks)[0].status, "RUNNING");
  EXPECT_EQ((*tasks)[0].moved, Tasks("dlq")->front().moved);
  for (int i = 0; i < 1000 && Tasks("dlq", other.get())->front().status == "RUNNING"; ++i) {
    step(other.get());
  }
  EXPECT_EQ(Tasks("dlq", other.get())->front().status, "COMPLETED");
  EXPECT_EQ(Tasks("dlq", other.get())->front().moved, dead);
  for (Received r = Receive("back", 16, other.get()); !r.messages.empty();
       r = Receive("back", 16, other.get())) {
    drained += static_cast<int>(r.messages.size());
  }
  ExpectCounters(other->GetQueue(kAccount, "dlq")->counters, 0, 0, 0, 0);
  EXPECT_EQ(drained, dead);
}

// A crash after the first batch was durable: the restarted broker knows the task and
// its progress, finishes it, and every message is in exactly one queue.
TEST_F(MessageOpsTest, CrashMidRedriveLosesAndDuplicatesNothing) {
  Create("dlq");
  const int dead = static_cast<int>(Broker::kMoveBatch) + 5;
  MakeDeadLetters(dead);
  ASSERT_TRUE(Call(&Broker::StartMessageMoveTask)(kAccount, "dlq", std::nullopt).ok());
  broker_->Tick();
  log_.SetAutoDurable(false);
  broker_->Tick();  // the second batch, not durable when the power goes
  std::unique_ptr<Broker> other = RecoverFrom(log_.CloneDurable());
  auto tasks = Tasks("dlq", other.get());
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].moved, static_cast<int64_t>(Broker::kMoveBatch));
  EXPECT_EQ((*tasks)[0].status, "RUNNING");
  ExpectCounters(other->GetQueue(kAccount, "dlq")->counters, 5, 0, 0, 0);
  EXPECT_LE(other->NextDeadlineMs(), clock_.NowMs());
  other->Tick();
  other->Tick();
  tasks = Tasks("dlq", other.get());
  EXPECT_EQ((*tasks)[0].status, "COMPLETED");
  EXPECT_EQ((*tasks)[0].moved, dead);
  ExpectCounters(other->GetQueue(kAccount, "dlq")->counters, 0, 0, 0, 0);
  ExpectCounters(other->GetQueue(kAccount, "src")->counters, dead, 0, 0, 0);
  log_.MakeDurable();
}

}  // namespace
}  // namespace cmq::broker
