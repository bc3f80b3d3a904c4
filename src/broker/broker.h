// Broker: the queue state machines of every account (and, later, topics).
//
// Contract:
// * Deterministic. Time comes only from the injected Clock; nothing sleeps. Tests move
//   a FakeClock and call Tick().
// * Every change of state is a record appended to the RecordLog and then applied by
//   Apply(); recovery replays the same records through the same Apply(). Expiry of
//   retention, delays and visibility timeouts are functions of recorded times and the
//   clock, so they are not recorded; anything that creates state (a dead-letter move)
//   is.
// * Not thread-safe: every call happens on one thread (the event loop). Callbacks are
//   invoked on that thread, possibly before the call that registered them returns.
// * Memory: per message a small fixed entry (no body); bodies are read back from the
//   RecordLog when received.
// * Durability: a call that may append records completes through its `done` callback
//   (Done<T> or Done<>, types.h), and only then may the caller answer its client:
//   - an error that changed nothing (a validation failure, kDiskFull, a failed log)
//     runs `done` at once, before the call returns (so does a DeleteMessages that
//     deleted nothing);
//   - success runs `done` once every record appended so far is durable in the
//     RecordLog (the state it saw, even if it appended nothing itself), or with
//     kStorageFailed if syncing failed (the change stays in memory);
//   - a receive runs `done` once the records its messages depend on are durable (each
//     message's send, publish, dead-letter move or rewind), not whatever else was
//     appended before: a client never sees a message whose send could still be lost.
//     Its own receive record rides a later commit (DESIGN.md: receives may), unless
//     BrokerOptions::receives_wait_for_their_own_record.
//   So the caller never deals with log positions, whichever RecordLog is underneath.
//   Read-only calls (Get*, List*, GetStats) answer synchronously. Tick and
//   CompletePush append records that no client waits for (dead-letter moves,
//   deliveries, push outcomes): a crash before they are durable only makes that work
//   happen again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/message_trace.h"
#include "broker/topic_types.h"
#include "broker/types.h"
#include "env/env.h"
#include "journal/record_log.h"

namespace cmq::broker {

// How the broker runs, beyond the limits of the CMQ model.
struct BrokerOptions {
  // A receive answers only once its own receive record is durable too, not only the
  // records of the messages it returns. Then whoever recovers the log (a restart, a
  // node taking the log over) knows every message a client holds, and the receipt
  // handle it got stays valid. Every receive then waits for a commit (which group
  // commit shares); the distributed mode needs it, the embedded one does not (a lost
  // receive record only makes the message visible again, at-least-once).
  bool receives_wait_for_their_own_record = false;
};

class Broker {
 public:
  // `clock` and `log` are not owned and must outlive the broker. The broker installs
  // its segment preamble on `log` (a snapshot of all metadata where one is due, see
  // snapshot_policy.h) and removes it when destroyed.
  Broker(env::Clock* clock, journal::RecordLog* log, Limits limits, BrokerOptions options = {});
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // --- recovery -----------------------------------------------------------------
  // Applies one stored record (in log order). Records that refer to messages that no
  // longer exist (their segment was reclaimed) are ignored.
  Status Replay(journal::RecordType type, std::string_view payload, journal::Location loc);
  // Ends recovery: rebuilds timers against the current clock. Call once, before any
  // other call but Replay.
  void FinishRecovery();

  // --- queue management (errors as in docs/cmq-api.md 6.7) -----------------------
  // Ranges of single values are the caller's job; the broker checks name uniqueness
  // (case-insensitive), quota, rewind <= retention after merging, and DLQ rules.
  // Every mutating call completes through `done` (see the contract above).
  void CreateQueue(AccountId account, std::string_view name, const QueueAttributeUpdate& attributes,
                   Done<QueueView> done);
  Result<QueuePage> ListQueues(AccountId account, std::string_view search_word, int64_t offset,
                               int64_t limit) const;
  // Counters reflect time as processed by the last Tick() or operation on the queue.
  Result<QueueView> GetQueue(AccountId account, std::string_view name) const;
  void SetQueueAttributes(AccountId account, std::string_view name,
                          const QueueAttributeUpdate& update, Done<QueueView> done);
  void DeleteQueue(AccountId account, std::string_view name, Done<> done);
  void RewindQueue(AccountId account, std::string_view name, int64_t start_consume_time,
                   Done<> done);
  Result<QueuePage> ListDeadLetterSourceQueues(AccountId account, std::string_view dlq_name,
                                               std::string_view search_word, int64_t offset,
                                               int64_t limit) const;
  // Completes with the queueId of the source queue.
  void UnbindDeadLetterQueue(AccountId account, std::string_view name, Done<std::string> done);

  // --- messages -------------------------------------------------------------------
  // All-or-nothing: validates every body (empty, size, UTF-8 is the caller's), the
  // batch total, the heap limit and disk headroom, then appends one record.
  // Completes with the msgIds in input order.
  void SendMessages(AccountId account, std::string_view queue,
                    const std::vector<std::string_view>& bodies, int64_t delay_seconds,
                    Done<std::vector<std::string>> done);

  // Receives up to `max_messages` Active messages. `wait_seconds` < 0 means "use the
  // queue's pollingWaitSeconds". If messages are available (or the wait is 0, or the
  // queue does not exist) the receive is served now and 0 is returned: `done` runs
  // with the error at once, or with the messages once the records they depend on are
  // durable (at once if they are). Otherwise the request is parked (first come, first
  // served per queue) and a waiter id is returned; it is served by a later call (a
  // send, Tick, rewind, delete of the queue) with messages (again once durable),
  // kNoMessage at the deadline (never later), or kQueueNotExist if the queue was
  // deleted. kStorageFailed if the log failed before the messages were durable.
  // `client` (who asked, for message trace) goes into the receive record.
  using ReceiveDone = Done<std::vector<ReceivedMessage>>;
  uint64_t ReceiveMessages(AccountId account, std::string_view queue, int max_messages,
                           int wait_seconds, ReceiveDone done, const ClientAddress& client = {});
  // Forgets a parked receive (its client went away); its `done` is never called. A
  // receive already served (waiting for durability) is not stopped: its `done` still
  // runs, and the messages stay Inactive until their visibility timeout. Unknown ids
  // are ignored.
  void CancelReceive(uint64_t waiter_id);
  // Answers every parked receive with `why` at once: the broker is about to be
  // discarded (the distributed mode drops a partition's broker when its log fails or
  // the partition is taken over).
  void AbandonWaiters(const Status& why);

  // Each handle is checked on its own. An error (kQueueNotExist etc.) is for the
  // request as a whole; per-handle failures are in the outcomes. If no handle was
  // valid nothing was appended, and `done` runs at once.
  void DeleteMessages(AccountId account, std::string_view queue,
                      const std::vector<std::string_view>& handles,
                      Done<std::vector<DeleteOutcome>> done);

  // --- cmqd extensions for operators (docs/cmq-api.md 15) ----------------------------
  // Shows up to `max_messages` undeleted messages in enqueue order (only those in state
  // `only`, if given) and changes nothing: no record, no receipt handle, no dequeue.
  // Like a receive it completes once the records that put those messages there are
  // durable. kQueueNotExist; kReceiveFailed if a body cannot be read. It scans the
  // queue from its oldest message, so a rare `only` state costs a scan of the queue.
  void PeekMessages(AccountId account, std::string_view queue, int max_messages,
                    std::optional<PeekState> only, Done<std::vector<PeekedMessage>> done);
  // Deletes every Delayed, Active and Inactive message, as DeleteMessage would (they
  // stay rewindable while the queue's rewind window lasts): ONE record. Receipt handles
  // held by consumers stop working. Completes with the number of messages deleted.
  void PurgeQueue(AccountId account, std::string_view queue, Done<int64_t> done);

  // Redrive: starts a task that moves the Active messages `source` (a dead-letter
  // queue) holds now to `destination`, or, without one, to the one queue whose
  // dead-letter queue `source` is. The task runs in Tick, a batch (one record) at a
  // time, each message moved becoming a fresh Active message of the destination with
  // the same msgId and body; a restart resumes the task from its records (a crash
  // between batches loses and duplicates nothing). Errors: kQueueNotExist (either
  // queue), kNotDeadLetterQueue, kMoveTargetAmbiguous (several source queues and no
  // destination), kMoveTargetInvalid (destination == source), kMoveTaskRunning (one
  // task per source at a time). Completes with the new task.
  void StartMessageMoveTask(AccountId account, std::string_view source,
                            std::optional<std::string_view> destination, Done<MoveTaskView> done);
  // The tasks whose source is `source`, newest first (the last kMaxMoveTasksKept tasks
  // of the broker, finished ones included).
  Result<std::vector<MoveTaskView>> ListMessageMoveTasks(AccountId account,
                                                         std::string_view source) const;
  static constexpr size_t kMaxMoveTasksKept = 100;
  static constexpr size_t kMoveBatch = 256;

  // Message trace (docs/architecture.md, "Message trace"): checks the queue or topic
  // `subject` names in `account` (kQueueNotExist, kTopicNotExist) and `msg_id`
  // (kMsgIdInvalid: not a msgId this broker gave out), then, once every record appended
  // so far is durable, completes with a job that reads the log from the segment where
  // that msgId's life begins (kStorageFailed if syncing failed; the log's OpenCursor
  // error). Appends nothing. The job touches nothing of the broker: run it on another
  // thread, so a long scan never stalls this one.
  void PrepareTrace(AccountId account, const TraceSubject& subject, std::string_view msg_id,
                    Done<std::shared_ptr<TraceJob>> done);

  // --- topics (docs/cmq-api.md 7; errors as listed there) ---------------------------
  // The api validates names, ranges and counts; the broker checks existence
  // (case-insensitive names, original spelling kept), quotas and topic rules.
  void CreateTopic(AccountId account, std::string_view name, const TopicAttributes& attributes,
                   Done<TopicView> done);
  Result<TopicPage> ListTopics(AccountId account, std::string_view search_word, int64_t offset,
                               int64_t limit) const;
  Result<TopicView> GetTopic(AccountId account, std::string_view name) const;
  void SetTopicAttributes(AccountId account, std::string_view name, std::optional<int> max_msg_size,
                          Done<> done);
  // kTopicHasSubscriptions while subscriptions exist; pending deliveries are dropped.
  void DeleteTopic(AccountId account, std::string_view name, Done<> done);

  // Publishes `bodies` (1..16) sharing `tags` and `routing_key`: validates them (empty,
  // size, batch total, routing key required on a routing topic, throttling), finds
  // the accepting subscriptions (9.1; kTopicNoSubscription / kNoSubscriptionMatches and
  // nothing stored), and appends ONE record holding the bodies and every delivery, so
  // a publish exists after a crash with all its deliveries or not at all. Queue
  // endpoints are enqueued when the record is applied (a missing or full queue makes
  // that delivery retry per policy); HTTP endpoints are handed to the push sink.
  // Completes with the msgIds in input order.
  void PublishMessages(AccountId account, std::string_view topic,
                       const std::vector<std::string_view>& bodies,
                       const std::vector<std::string>& tags,
                       std::optional<std::string_view> routing_key,
                       Done<std::vector<std::string>> done);

  // --- subscriptions (docs/cmq-api.md 8) ----------------------------------------------
  void Subscribe(AccountId account, std::string_view topic, const SubscriptionSpec& spec,
                 Done<SubscriptionView> done);
  Result<SubscriptionPage> ListSubscriptions(AccountId account, std::string_view topic,
                                             std::string_view search_word, int64_t offset,
                                             int64_t limit) const;
  Result<SubscriptionView> GetSubscription(AccountId account, std::string_view topic,
                                           std::string_view name) const;
  void SetSubscriptionAttributes(AccountId account, std::string_view topic, std::string_view name,
                                 const SubscriptionUpdate& update, Done<> done);
  // Pending deliveries of the subscription are dropped.
  void Unsubscribe(AccountId account, std::string_view topic, std::string_view name, Done<> done);
  void ClearSubscriptionFilterTags(AccountId account, std::string_view topic, std::string_view name,
                                   Done<> done);

  // --- HTTP push (docs/cmq-api.md 9.5, 9.6) ---------------------------------------------
  // The broker calls `sink` (on its thread, from Tick or a publish) for every HTTP
  // delivery attempt that is due; each task is handed out once until CompletePush is
  // called for it. After a restart, deliveries that were pending are handed out again
  // (at-least-once).
  void SetPushSink(std::function<void(PushTask)> sink);
  // Reports the outcome of a PushTask. Success ends the delivery; failure schedules
  // the next attempt by the subscription's retry policy or abandons it (policy
  // exhausted, or topic retention reached). Both are recorded, a failure with its
  // `error` (at most kMaxPushErrorChars kept), which becomes the subscription's last
  // push error. Unknown ids (the subscription or topic went away meanwhile) are
  // ignored.
  void CompletePush(uint64_t delivery_id, bool delivered, std::string_view error = {});
  static constexpr size_t kMaxPushErrorChars = 512;

  // --- time -------------------------------------------------------------------------
  // Processes everything due at the clock's now: delays ending, visibility expiring,
  // retention and rewind windows, dead-letter moves, parked receives to serve or time
  // out, topic retention, delivery retries to queue endpoints, due HTTP pushes (to the
  // sink), a bounded step of space reclamation.
  void Tick();
  // The earliest time (Unix ms) at which Tick() has something to do; INT64_MAX if none.
  // Space reclamation waits for no time: when a call made some possible (a segment
  // rolled, the oldest live segment emptied), this is already due. Call it after every
  // call into the broker, as the server does.
  int64_t NextDeadlineMs() const;

  // --- observations (/metrics) ------------------------------------------------------
  // Calls `fn` for every queue: accounts by ascending id, each account's queues in
  // creation order, so a caller that shows only the first N shows the same N each time.
  // `fn` must not call into the broker.
  void ForEachQueue(const std::function<void(const QueueFigures&)>& fn) const;
  // Calls `fn` for every topic, in the same stable order (accounts by ascending id,
  // topics and their subscriptions in creation order). `fn` must not call into the broker.
  void ForEachTopic(const std::function<void(const TopicFigures&)>& fn) const;

  struct Stats {
    int64_t queues = 0;
    int64_t messages = 0;  // delayed + active + inactive + rewindable, all queues
    int64_t parked_receives = 0;
    int64_t topics = 0;
    int64_t pending_deliveries = 0;  // (topic message, subscription) pairs, all topics
    int64_t memory_bytes = 0;        // estimate of the broker's own memory (bodies excluded)
    bool reclaim_stopped = false;    // the log refused to drop segments (it failed)
  };
  Stats GetStats() const;

  // Whether new messages are refused for want of disk space (kDiskFull; deletes are
  // still served): the latest send, publish or delivery into a queue was, and the
  // room it asked for is still not there. Asks the log again, which may preallocate
  // a segment, so space freed meanwhile counts at once.
  bool OutOfSpace();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::broker
