// Broker::Impl, shared by the files that implement the broker:
//   broker.cc               queue calls (validation, then record + apply) and time
//   broker_apply.cc         Replay and the queue apply functions; snapshots
//   broker_reclaim.cc       space reclamation (dropping and copying forward segments)
//   broker_topics.cc        topic, subscription, publish and push calls; delivery work
//   broker_topic_apply.cc   the topic apply functions and delivery state
// Internal to the broker library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "broker/queue.h"
#include "broker/records.h"
#include "broker/segment_usage.h"
#include "broker/snapshot_policy.h"
#include "broker/topic_state.h"
#include "broker/waiters.h"

namespace cmq::broker {

// Runs the callbacks a call queued when the call returns, whichever way it returns,
// so that they see the call's state changes complete.
template <typename F>
class OnExit {
 public:
  explicit OnExit(F f) : f_(std::move(f)) {}
  ~OnExit() { f_(); }
  OnExit(const OnExit&) = delete;
  OnExit& operator=(const OnExit&) = delete;

 private:
  F f_;
};

// A record may not place a message absurdly far beyond its queue's positions (a
// corrupt position would otherwise make the table allocate without bound).
inline bool PositionPlausible(const Queue& q, uint64_t pos) {
  return pos < q.meta().next_pos + (uint64_t{1} << 32);
}

inline Status Corrupt(std::string_view what, journal::Location loc) {
  return Status(ErrorCode::kCorruption, std::string(what) + " record at segment " +
                                            std::to_string(journal::SegmentOf(loc)) + " offset " +
                                            std::to_string(journal::OffsetOf(loc)));
}

// The page [offset, offset + limit) of `matches` (negative values count as 0).
template <typename T>
std::vector<T> PageOf(const std::vector<T>& matches, int64_t offset, int64_t limit) {
  std::vector<T> page;
  const int64_t total = static_cast<int64_t>(matches.size());
  offset = std::max<int64_t>(offset, 0);
  limit = std::max<int64_t>(limit, 0);
  for (int64_t i = offset; i < total && i - offset < limit; ++i) page.push_back(matches[i]);
  return page;
}

// A log completion that hands `result` to `done` once the log is durable up to where
// it was asked, or the storage error if syncing failed.
template <typename T>
std::function<void(const Status&)> AfterDurable(Result<T> result, Done<T> done) {
  return [result = std::move(result), done = std::move(done)](const Status& durable) mutable {
    if (durable.ok()) {
      done(std::move(result));
    } else {
      done(durable);
    }
  };
}

struct Broker::Impl {
  Impl(env::Clock* c, journal::RecordLog* l, Limits lim, BrokerOptions opts)
      : clock(c), log(l), limits(lim), options(opts) {}

  env::Clock* clock;
  journal::RecordLog* log;
  Limits limits;
  BrokerOptions options;

  // The headroom the latest refused send, publish or queue delivery asked for
  // (kDiskFull); 0 while they fit. What Broker::OutOfSpace checks again.
  uint64_t refused_headroom = 0;
  // log->EnsureHeadroom, noting a refusal for want of space (and its end).
  Status ReserveHeadroom(uint64_t bytes) {
    Status s = log->EnsureHeadroom(bytes);
    if (s.ok()) {
      refused_headroom = 0;
    } else if (s.error() == ErrorCode::kDiskFull) {
      refused_headroom = bytes;
    }
    return s;
  }

  // Broker time: the clock, but never going back (enqueue times stay ordered).
  int64_t now_ms = 0;
  uint64_t next_msg_id = 1;
  uint64_t next_queue_uid = 1;
  // Per kept segment, next_msg_id when its first record was applied (live or in
  // replay; never above the truth): where a message trace may start reading.
  std::map<uint32_t, uint64_t> segment_msg_ids;
  void NoteSegment(journal::Location loc, uint64_t msg_id_before);
  // The segment the life of `msg_id` begins in, or an older one (0: the oldest kept).
  uint32_t TraceStart(uint64_t msg_id) const;

  // Declared before the queues, which update them until destroyed.
  SegmentUsage usage;
  MessageTotals totals;

  struct Account {
    std::unordered_map<std::string, uint64_t> by_name;  // lower-cased name -> uid
    std::map<uint64_t, Queue*> in_order;                // uid (creation order) -> queue
  };
  std::unordered_map<AccountId, Account> accounts;
  std::unordered_map<uint64_t, std::unique_ptr<Queue>> queues;  // by uid
  std::unordered_set<std::string> queue_ids;

  WaiterTable waiters;
  std::set<std::pair<int64_t, uint64_t>> schedule;  // (queue's next deadline, uid)
  bool storage_failed = false;

  // Space reclamation (broker_reclaim.cc).
  SnapshotPolicy snapshots;
  uint32_t drop_asked = 0;       // the highest segment the log was asked to keep from
  bool reclaim_stopped = false;  // the log refused a drop: no more reclamation
  // Copying the live messages of one segment forward: queues (by uid), then topics.
  struct ReclaimScan {
    bool active = false;
    uint32_t segment = 0;
    std::vector<uint64_t> queue_uids;
    std::vector<uint64_t> topic_uids;
    size_t next = 0;        // index into queue_uids, then topic_uids
    uint64_t next_pos = 0;  // queue position, or topic msgId, to look at next
  };
  ReclaimScan scan;
  // (first live segment, current segment) when a scan was last considered: another
  // is considered only once either changed.
  std::pair<uint32_t, uint32_t> scan_considered{0, 0};

  // Callbacks to run once the current call's state changes are complete: at once,
  // and (receive answers) handed to the log to run once it is durable up to an LSN.
  std::vector<std::function<void()>> ready;
  std::vector<std::pair<journal::Lsn, std::function<void(const Status&)>>> ready_when_durable;

  // --- topics --------------------------------------------------------------------------
  uint64_t next_topic_uid = 1;
  uint64_t next_subscription_uid = 1;
  struct TopicAccount {
    std::unordered_map<std::string, uint64_t> by_name;  // lower-cased name -> uid
    std::map<uint64_t, Topic*> in_order;                // uid (creation order) -> topic
  };
  std::unordered_map<AccountId, TopicAccount> topic_accounts;
  std::unordered_map<uint64_t, std::unique_ptr<Topic>> topics;                // by uid
  std::unordered_map<uint64_t, std::unique_ptr<Subscription>> subscriptions;  // by uid
  std::unordered_set<std::string> topic_ids;
  std::unordered_set<std::string> subscription_ids;
  std::set<std::pair<int64_t, uint64_t>> topic_schedule;  // (oldest retention end, uid)
  DeliveryHeap queue_due;  // deliveries to queue endpoints, attempted in Tick
  DeliveryHeap http_due;   // deliveries to HTTP endpoints, handed to the push sink
  int64_t pending_deliveries = 0;
  std::function<void(PushTask)> push_sink;
  // PushTasks handed out and not completed (not recorded: lost on restart, when every
  // pending delivery is due again at its recorded time).
  struct InFlightPush {
    uint64_t msg_id = 0;
    uint64_t subscription = 0;
  };
  uint64_t next_push_id = 1;
  std::unordered_map<uint64_t, InFlightPush> pushes;

  // Message move tasks (broker_move_tasks.cc), by task id. Rebuilt in replay from their
  // start records and batches; RUNNING ones continue in Tick.
  struct MoveTask {
    uint64_t source_uid = 0;
    uint64_t target_uid = 0;
    uint64_t up_to_pos = 0;
    int64_t to_move = 0;
    int64_t moved = 0;
    int64_t started_ms = 0;
    std::string status = "RUNNING";
    std::string failure_reason;
    // While RUNNING, the segment of the task's start record holds a pin in `usage`, so
    // reclamation keeps that record: a restart must know the task to go on with it.
    journal::Location start = 0;
  };
  std::map<uint64_t, MoveTask> move_tasks;
  uint64_t next_move_task_id = 1;
  bool MoveTasksRunning() const;

  // --- helpers (broker.cc) ------------------------------------------------------------
  int64_t Now();
  Queue* FindQueue(AccountId account, std::string_view name) const;
  Queue* QueueByUid(uint64_t uid) const;
  bool IsDeadLetterTarget(const Queue& q) const;
  DeadLetterRule RuleFor(const Queue& q) const;
  Status CheckDeadLetterPolicy(AccountId account, const Queue* self, std::string_view self_name,
                               const QueueAttributes& merged) const;
  Result<journal::Location> Append(journal::RecordType type,
                                   std::span<const std::string_view> parts);
  Result<journal::Location> Append(journal::RecordType type, std::string_view payload) {
    return Append(type, std::span<const std::string_view>(&payload, 1));
  }
  void Reschedule(Queue* q);
  void AdvanceLive(Queue* q, int64_t now);
  void ServeWaiters(Queue* q, int64_t now);
  // Reads the bodies of the messages at `positions` of `q`, in that order.
  Status ReadBodies(const Queue& q, const std::vector<uint64_t>& positions,
                    std::vector<std::string>* bodies) const;
  // Takes up to `n` Active messages and records their receive. `*answer_after` is the
  // LSN the answer must wait for (see BrokerOptions).
  Result<std::vector<ReceivedMessage>> ReceiveNow(Queue* q, int n, int64_t now,
                                                  const ClientAddress& client,
                                                  journal::Lsn* answer_after);
  // Queues the answer of a receive: an error at once, messages once the log is durable
  // up to `answer_after`.
  void AnswerReceive(Broker::ReceiveDone done, Result<std::vector<ReceivedMessage>> result,
                     journal::Lsn answer_after);
  void MoveToDeadLetter(Queue* q, const std::vector<uint64_t>& positions, int64_t now);
  QueueView View(const Queue& q) const;
  void RunReady();
  // Completes a public call once its state changes are complete (RunReady): `done`
  // gets an error at once, success once everything appended so far is durable.
  // `wait` false: the call appended nothing a success depends on, so it too is at once.
  template <typename T>
  void Finish(Result<T> result, Done<T> done, bool wait = true) {
    RunReady();
    if (!result.ok() || !wait) return done(std::move(result));
    log->WhenDurable(log->LastAppended(), AfterDurable(std::move(result), std::move(done)));
  }
  void Finish(const Status& status, Done<> done) {
    RunReady();
    if (!status.ok()) return done(status);
    log->WhenDurable(log->LastAppended(), std::move(done));
  }

  // --- the mutating calls behind the public ones, before Finish (broker.cc) ----------
  Result<QueueView> CreateQueue(AccountId account, std::string_view name,
                                const QueueAttributeUpdate& attributes);
  Result<QueueView> SetQueueAttributes(AccountId account, std::string_view name,
                                       const QueueAttributeUpdate& update);
  Status DeleteQueue(AccountId account, std::string_view name);
  Status RewindQueue(AccountId account, std::string_view name, int64_t start_consume_time);
  Result<int64_t> PurgeQueue(AccountId account, std::string_view name);
  Result<MoveTaskView> StartMoveTask(AccountId account, std::string_view source,
                                     std::optional<std::string_view> destination);
  MoveTaskView View(uint64_t id, const MoveTask& t) const;
  // One batch of every running move task (Tick).
  void RunMoveTasks(int64_t now);
  // Ends a running task with a kRecMoveTaskEnd record (`reason` empty: COMPLETED).
  void EndMoveTask(uint64_t id, int64_t now, std::string reason);
  // The task stops (COMPLETED, or FAILED with why) and lets go of its start record.
  void EndTask(MoveTask* task, bool failed, std::string failure_reason);
  void ForgetFinishedMoveTasks();
  // Read-only; `*answer_after` gets the LSN the answer must wait for.
  Result<std::vector<PeekedMessage>> PeekMessages(AccountId account, std::string_view name,
                                                  int max_messages, std::optional<PeekState> only,
                                                  journal::Lsn* answer_after);
  Result<std::string> UnbindDeadLetterQueue(AccountId account, std::string_view name);
  Result<std::vector<std::string>> SendMessages(AccountId account, std::string_view queue,
                                                const std::vector<std::string_view>& bodies,
                                                int64_t delay_seconds);
  Result<std::vector<DeleteOutcome>> DeleteMessages(AccountId account, std::string_view queue,
                                                    const std::vector<std::string_view>& handles);

  // --- apply: the only code that changes queue state (broker_apply.cc) ---------------
  Status ApplySnapshot(const SnapshotRecord& r);
  Status ApplyCreate(const CreateQueueRecord& r);
  void ApplySet(const SetQueueRecord& r);
  void ApplyDeleteQueue(const DeleteQueueRecord& r);
  Status ApplySend(const SendRecord& r, journal::Location first_body);
  void ApplyReceive(const ReceiveRecord& r);
  void ApplyDelete(const DeleteRecord& r);
  void ApplyRewind(const RewindRecord& r);
  void ApplyPurge(const PurgeRecord& r);
  void ApplyMoveTaskStart(const MoveTaskStartRecord& r, journal::Location loc);
  Status ApplyMoveTaskBatch(const MoveTaskBatchRecord& r);
  void ApplyMoveTaskEnd(const MoveTaskEndRecord& r);
  // `dead_letter`: a dead-letter move (counted as such), else a move task's batch.
  Status ApplyMove(const DeadLetterMoveRecord& r, bool dead_letter = true);
  Status ApplyRelocate(const RelocateRecord& r, journal::Location body, uint32_t body_len);
  Status ReplayRecord(journal::RecordType type, std::string_view payload, journal::Location loc);
  SnapshotRecord MakeSnapshot() const;
  void NoteTime(int64_t t) { now_ms = std::max(now_ms, t); }
  Queue* AddQueue(const QueueMeta& meta);

  // --- topics (broker_topics.cc) -------------------------------------------------------
  // The mutating calls behind the public ones, before Finish.
  Result<TopicView> CreateTopic(AccountId account, std::string_view name,
                                const TopicAttributes& attributes);
  Status SetTopicAttributes(AccountId account, std::string_view name,
                            std::optional<int> max_msg_size);
  Status DeleteTopic(AccountId account, std::string_view name);
  Result<std::vector<std::string>> PublishMessages(AccountId account, std::string_view topic,
                                                   const std::vector<std::string_view>& bodies,
                                                   const std::vector<std::string>& tags,
                                                   std::optional<std::string_view> routing_key);
  Result<SubscriptionView> Subscribe(AccountId account, std::string_view topic,
                                     const SubscriptionSpec& spec);
  Status SetSubscriptionAttributes(AccountId account, std::string_view topic, std::string_view name,
                                   const SubscriptionUpdate& update);
  Status Unsubscribe(AccountId account, std::string_view topic, std::string_view name);
  Topic* FindTopic(AccountId account, std::string_view name) const;
  Topic* TopicByUid(uint64_t uid) const;
  Subscription* FindSubscription(const Topic& t, std::string_view name) const;
  Subscription* SubscriptionByUid(uint64_t uid) const;
  TopicView View(const Topic& t) const;
  SubscriptionView View(const Subscription& s) const;
  bool Accepts(const Topic& t, const Subscription& s, const std::vector<std::string>& tags,
               std::optional<std::string_view> routing_key) const;
  // Time-driven topic work (Tick): retention ends, queue-endpoint attempts, pushes.
  void ExpireTopics(int64_t now);
  void RunQueueDeliveries(int64_t now);
  void DispatchPushes(int64_t now);
  // A failure's `error` (cut to kMaxPushErrorChars) goes into the record.
  void RecordPushOutcome(uint64_t msg_id, uint64_t subscription, uint32_t attempt, bool delivered,
                         std::string_view error, int64_t now);

  // --- topic apply and delivery state (broker_topic_apply.cc) --------------------------
  Status ApplyCreateTopic(const CreateTopicRecord& r);
  void ApplySetTopic(const SetTopicRecord& r);
  void ApplyDeleteTopic(const DeleteTopicRecord& r);
  Status ApplySubscribe(const SubscribeRecord& r);
  void ApplySetSubscription(const SetSubscriptionRecord& r);
  void ApplyUnsubscribe(const UnsubscribeRecord& r);
  Status ApplyPublish(const PublishRecord& r, journal::Location first_body);
  Status ApplyQueueDelivery(const QueueDeliveryRecord& r);
  void ApplyPushOutcome(const PushOutcomeRecord& r);
  Status ApplyTopicSnapshot(const SnapshotRecord& r);
  Status ApplyTopicRelocate(const TopicRelocateRecord& r, journal::Location body,
                            uint32_t body_len);
  Status ReplayTopicRecord(journal::RecordType type, std::string_view payload,
                           journal::Location loc);
  Topic* AddTopic(const TopicMeta& meta);
  Subscription* AddSubscription(const SubscriptionMeta& meta);
  // Stores a topic message with its pending deliveries (to `targets`, in order) and
  // schedules them. The caller reschedules the topic.
  void AddTopicMessage(Topic* t, uint64_t msg_id, TopicMessage m,
                       const std::vector<Subscription*>& targets);
  // Ends the deliveries of messages whose retention is over at `t`.
  void ExpireTopicTo(Topic* t, int64_t time);
  // The pending delivery (message, subscription) after expiring its topic to `time`;
  // null when it no longer exists.
  struct DeliveryRef {
    Topic* topic = nullptr;
    Subscription* subscription = nullptr;
    TopicMessage* message = nullptr;
    Delivery* delivery = nullptr;
  };
  DeliveryRef FindDelivery(uint64_t msg_id, uint64_t subscription, int64_t time);
  // The time of the next attempt after `attempts` failed ones, or nullopt if the
  // delivery is to be abandoned (policy exhausted or retention reached first).
  std::optional<int64_t> NextAttempt(const Topic& t, const Subscription& s, uint64_t msg_id,
                                     int64_t publish_ms, uint32_t attempts, int64_t time) const;
  void EndDelivery(const DeliveryRef& ref, uint64_t msg_id);
  void FailAttempt(const DeliveryRef& ref, uint64_t msg_id, int64_t time);
  void RemoveTopicMessage(Topic* t, std::map<uint64_t, TopicMessage>::iterator it);
  Status PlaceQueueMessage(const QueuePlacement& p, uint64_t queue_msg_id, journal::Location body,
                           uint32_t body_len, int64_t time, bool create);
  void ScheduleDelivery(const Subscription& s, uint64_t msg_id, int64_t due);
  // The pending, not-in-flight delivery a heap entry still describes, or nulls.
  DeliveryRef DueDelivery(const DeliveryHeap::Entry& e, int64_t now);
  void RebuildDeliveryHeaps();
  // Pops stale entries off the heap tops, so NextDeadlineMs asks for no idle wake-ups.
  void PruneDeliveryHeaps(int64_t now);
  void RescheduleTopic(Topic* t);

  // --- reclamation (broker_reclaim.cc) ------------------------------------------------
  // The log's segment preamble: a snapshot when SnapshotPolicy says one is due.
  void SegmentPreamble(uint32_t segment, journal::RecordType* type, std::string* payload);
  // Bounded reclamation work; ReclaimDue() says whether there is any.
  void Reclaim(int64_t now);
  bool ReclaimDue() const;
  // The segment the log could keep from now (0: none beyond what it keeps).
  uint32_t DropTarget() const;
  void DropDeadSegments();
  bool StartScan();
  bool Relocate(Queue* q, uint64_t pos, int64_t now);
  bool RelocateTopicMessage(Topic* t, uint64_t msg_id, int64_t now);
};

}  // namespace cmq::broker
