// Queue: one queue's message state machine, without journaling.
//
// The broker turns each operation into a record and then calls the transition here
// that applies it; recovery calls the same transitions with decoded records. Times are
// passed in (Unix ms), never read from a clock, so the state is a pure function of the
// records applied and the times given.
//
// Transitions that follow from time alone (end of retention, end of the rewind window)
// are applied by ExpireTo(t), which the apply functions call first with the record's
// time; between records their outcome does not depend on when they run. Delays and
// visibility timeouts end through ProcessDue (live path only: an expiry may turn into
// a dead-letter move, which is a record of its own).
//
// Indexes: a min-heap of Active positions (enqueue order), a min-heap of (deadline,
// position, generation) timers for Delayed and Inactive messages and a min-heap of
// Rewindable positions. All use lazy invalidation (an entry is checked against the
// message when it reaches the top) and are rebuilt when stale entries outnumber live
// ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/message_table.h"
#include "broker/records.h"
#include "broker/segment_usage.h"
#include "broker/types.h"

namespace cmq::broker {

// Server-wide totals the queues keep up to date.
struct MessageTotals {
  int64_t held = 0;  // delayed + active + inactive, all queues
  int64_t rewindable = 0;
};

// What to do with a message whose visibility expires, or that stays Active too long.
struct DeadLetterRule {
  bool enabled = false;
  int policy = 0;
  int64_t max_receive_count = 0;
  int64_t ttl_ms = 0;
};

class Queue {
 public:
  Queue(QueueMeta meta, SegmentUsage* usage, MessageTotals* totals);
  ~Queue();  // releases every message from `usage` and `totals`
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  QueueMeta& meta() { return meta_; }
  const QueueMeta& meta() const { return meta_; }
  const QueueAttributes& attributes() const { return meta_.attributes; }

  // --- transitions shared by the live path and replay ---------------------------------
  // Ends retention and rewind windows that are over at `t`.
  void ExpireTo(int64_t t);
  // Adds a message (state in `e`) at `pos`, which must be free.
  void AddMessage(uint64_t pos, const MessageEntry& e);
  void RemoveMessage(uint64_t pos);
  // Receive: Inactive until `visible_until`, one more dequeue, new generation.
  // Ignored unless the message is Delayed, Active or Inactive.
  void MarkReceived(uint64_t pos, int64_t t, int64_t visible_until);
  // Delete: Rewindable while the rewind window lasts, else gone.
  void MarkDeleted(uint64_t pos, int64_t t);
  // Purge: MarkDeleted for every Delayed, Active and Inactive message. Returns how many.
  int64_t DeleteAll(int64_t t);
  // Rewind: every Rewindable message enqueued at or after `start_ms` becomes Active,
  // depending on the rewind record `lsn` (MessageEntry::lsn).
  void Restore(int64_t start_ms, uint64_t lsn);
  // New attributes (complete value). rewindSeconds 0 discards rewindable messages.
  void SetAttributes(const QueueAttributes& attributes, int64_t t);
  // Points the message at a new copy of its body.
  void MoveBody(uint64_t pos, journal::Location body);

  // --- live path ----------------------------------------------------------------------
  // Ends delays and visibility timeouts due at `now`. Messages the dead-letter rule
  // claims are appended to `moves` (their state is left alone; the caller records and
  // applies the move, or calls Activate if it cannot).
  void ProcessDue(int64_t now, const DeadLetterRule& rule, std::vector<uint64_t>* moves);
  void Activate(uint64_t pos);
  // Takes up to `n` Active positions, oldest first, off the ready heap. The caller
  // receives them (MarkReceived) or gives them back with ReturnActive.
  std::vector<uint64_t> TakeActive(int n);
  void ReturnActive(const std::vector<uint64_t>& positions);
  // The earliest time something in this queue is due (timers, retention, rewind window,
  // policy 1), INT64_MAX if none.
  int64_t NextDeadline(const DeadLetterRule& rule);
  // Rebuilds the heaps from the messages (after recovery).
  void RebuildIndexes();

  // --- reads --------------------------------------------------------------------------
  MessageEntry* Find(uint64_t pos) { return table_.Find(pos); }
  const MessageEntry* Find(uint64_t pos) const { return table_.Find(pos); }
  const MessageTable& table() const { return table_; }
  int64_t active() const { return active_count_; }
  int64_t inactive() const { return inactive_count_; }
  int64_t delayed() const { return delayed_count_; }
  int64_t rewindable() const { return rewindable_count_; }
  int64_t held() const { return delayed_count_ + active_count_ + inactive_count_; }
  QueueCounters Counters() const;
  size_t MemoryBytes() const;

  // The deadline under which the broker has this queue scheduled.
  int64_t scheduled = INT64_MAX;
  // Counted by the apply functions and ExpireTo; zeroed when recovery ends.
  QueueTraffic traffic;

 private:
  struct Timer {
    int64_t deadline;
    uint64_t pos;
    uint32_t generation;
    bool operator>(const Timer& o) const {
      return deadline != o.deadline ? deadline > o.deadline : pos > o.pos;
    }
  };

  void SetState(MessageEntry* e, MessageState s);
  void Count(MessageState s, int delta);
  void PushActive(uint64_t pos);
  void PushTimer(uint64_t pos, const MessageEntry& e);
  void PushRewindable(uint64_t pos);
  bool TimerValid(const Timer& t) const;
  void CompactReady();
  void CompactRewind();
  void CompactTimers();
  void DiscardRewindable();

  QueueMeta meta_;
  SegmentUsage* usage_;
  MessageTotals* totals_;
  MessageTable table_;
  std::vector<uint64_t> ready_;   // min-heap of Active positions
  std::vector<Timer> timers_;     // min-heap of Delayed / Inactive deadlines
  std::vector<uint64_t> rewind_;  // min-heap of Rewindable positions
  int64_t active_count_ = 0;
  int64_t inactive_count_ = 0;
  int64_t delayed_count_ = 0;
  int64_t rewindable_count_ = 0;
  // No Delayed/Active/Inactive message lies below this position (minMsgTime scan).
  mutable uint64_t undeleted_hint_ = 0;
};

}  // namespace cmq::broker
