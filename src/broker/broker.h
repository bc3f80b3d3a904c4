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
// * A mutating call returns after its record is appended, not after it is durable.
//   The caller must answer its client only from WhenDurable(), which fires once every
//   record appended so far is on disk (receives included: a client never sees a message
//   whose send is not durable).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/topic_types.h"
#include "broker/types.h"
#include "env/env.h"
#include "journal/record_log.h"

namespace cmq::broker {

class Broker {
 public:
  // `clock` and `log` are not owned and must outlive the broker. The broker installs
  // its segment preamble on `log` (a snapshot of all metadata where one is due, see
  // snapshot_policy.h) and removes it when destroyed.
  Broker(env::Clock* clock, journal::RecordLog* log, Limits limits);
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

  // --- durability ---------------------------------------------------------------
  // Runs `done` once everything appended so far is durable (OK) or storage failed.
  void WhenDurable(std::function<void(const Status&)> done);
  // Runs `done` once the records up to `lsn` are durable (see
  // ReceivedMessage::answer_after_lsn).
  void WhenDurableUpTo(uint64_t lsn, std::function<void(const Status&)> done);

  // --- queue management (errors as in docs/cmq-api.md 6.7) -----------------------
  // Ranges of single values are the caller's job; the broker checks name uniqueness
  // (case-insensitive), quota, rewind <= retention after merging, and DLQ rules.
  Result<QueueView> CreateQueue(AccountId account, std::string_view name,
                                const QueueAttributeUpdate& attributes);
  Result<QueuePage> ListQueues(AccountId account, std::string_view search_word, int64_t offset,
                               int64_t limit) const;
  // Counters reflect time as processed by the last Tick() or operation on the queue.
  Result<QueueView> GetQueue(AccountId account, std::string_view name) const;
  Result<QueueView> SetQueueAttributes(AccountId account, std::string_view name,
                                       const QueueAttributeUpdate& update);
  Status DeleteQueue(AccountId account, std::string_view name);
  Status RewindQueue(AccountId account, std::string_view name, int64_t start_consume_time);
  Result<QueuePage> ListDeadLetterSourceQueues(AccountId account, std::string_view dlq_name,
                                               std::string_view search_word, int64_t offset,
                                               int64_t limit) const;
  // Returns the queueId of the source queue.
  Result<std::string> UnbindDeadLetterQueue(AccountId account, std::string_view name);

  // --- messages -------------------------------------------------------------------
  // All-or-nothing: validates every body (empty, size, UTF-8 is the caller's), the
  // batch total, the heap limit and disk headroom, then appends one record.
  // Returns the msgIds in input order.
  Result<std::vector<std::string>> SendMessages(AccountId account, std::string_view queue,
                                                const std::vector<std::string_view>& bodies,
                                                int64_t delay_seconds);

  // Receives up to `max_messages` Active messages. `wait_seconds` < 0 means "use the
  // queue's pollingWaitSeconds". If messages are available (or the wait is 0, or the
  // queue does not exist) `done` runs before this returns, and 0 is returned.
  // Otherwise the request is parked (first come, first served per queue) and a waiter
  // id is returned; `done` then runs from a later call (a send, Tick, rewind, delete
  // of the queue) with messages, kNoMessage at the deadline (never later), or
  // kQueueNotExist if the queue was deleted.
  using ReceiveDone = std::function<void(Result<std::vector<ReceivedMessage>>)>;
  uint64_t ReceiveMessages(AccountId account, std::string_view queue, int max_messages,
                           int wait_seconds, ReceiveDone done);
  // Forgets a parked receive (its client went away); `done` is never called.
  void CancelReceive(uint64_t waiter_id);
  // Answers every parked receive with `why` at once: the broker is about to be
  // discarded (the distributed mode drops a partition's broker when its log fails or
  // the partition is taken over).
  void AbandonWaiters(const Status& why);

  // Each handle is checked on its own. The Status is kQueueNotExist etc. for the
  // request as a whole; per-handle failures are in the outcomes.
  Result<std::vector<DeleteOutcome>> DeleteMessages(AccountId account, std::string_view queue,
                                                    const std::vector<std::string_view>& handles);

  // --- topics (docs/cmq-api.md 7; errors as listed there) ---------------------------
  // The api validates names, ranges and counts; the broker checks existence
  // (case-insensitive names, original spelling kept), quotas and topic rules.
  Result<TopicView> CreateTopic(AccountId account, std::string_view name,
                                const TopicAttributes& attributes);
  Result<TopicPage> ListTopics(AccountId account, std::string_view search_word, int64_t offset,
                               int64_t limit) const;
  Result<TopicView> GetTopic(AccountId account, std::string_view name) const;
  Status SetTopicAttributes(AccountId account, std::string_view name,
                            std::optional<int> max_msg_size);
  // kTopicHasSubscriptions while subscriptions exist; pending deliveries are dropped.
  Status DeleteTopic(AccountId account, std::string_view name);

  // Publishes `bodies` (1..16) sharing `tags` and `routing_key`: validates them (empty,
  // size, batch total, routing key required on a routing topic, throttling), finds
  // the accepting subscriptions (9.1; kTopicNoSubscription / kNoSubscriptionMatches and
  // nothing stored), and appends ONE record holding the bodies and every delivery, so
  // a publish exists after a crash with all its deliveries or not at all. Queue
  // endpoints are enqueued when the record is applied (a missing or full queue makes
  // that delivery retry per policy); HTTP endpoints are handed to the push sink.
  // Returns the msgIds in input order.
  Result<std::vector<std::string>> PublishMessages(AccountId account, std::string_view topic,
                                                   const std::vector<std::string_view>& bodies,
                                                   const std::vector<std::string>& tags,
                                                   std::optional<std::string_view> routing_key);

  // --- subscriptions (docs/cmq-api.md 8) ----------------------------------------------
  Result<SubscriptionView> Subscribe(AccountId account, std::string_view topic,
                                     const SubscriptionSpec& spec);
  Result<SubscriptionPage> ListSubscriptions(AccountId account, std::string_view topic,
                                             std::string_view search_word, int64_t offset,
                                             int64_t limit) const;
  Result<SubscriptionView> GetSubscription(AccountId account, std::string_view topic,
                                           std::string_view name) const;
  Status SetSubscriptionAttributes(AccountId account, std::string_view topic, std::string_view name,
                                   const SubscriptionUpdate& update);
  // Pending deliveries of the subscription are dropped.
  Status Unsubscribe(AccountId account, std::string_view topic, std::string_view name);
  Status ClearSubscriptionFilterTags(AccountId account, std::string_view topic,
                                     std::string_view name);

  // --- HTTP push (docs/cmq-api.md 9.5, 9.6) ---------------------------------------------
  // The broker calls `sink` (on its thread, from Tick or a publish) for every HTTP
  // delivery attempt that is due; each task is handed out once until CompletePush is
  // called for it. After a restart, deliveries that were pending are handed out again
  // (at-least-once).
  void SetPushSink(std::function<void(PushTask)> sink);
  // Reports the outcome of a PushTask. Success ends the delivery; failure schedules
  // the next attempt by the subscription's retry policy or abandons it (policy
  // exhausted, or topic retention reached). Both are recorded. A failure's `error`
  // (at most kMaxPushErrorChars kept; not recorded) becomes the subscription's last
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::broker
