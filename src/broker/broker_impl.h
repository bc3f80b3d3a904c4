// Broker::Impl, shared by the files that implement the broker:
//   broker.cc          public calls (validation, then record + apply) and time
//   broker_apply.cc    Replay and the apply functions both paths share; snapshots
//   broker_reclaim.cc  space reclamation (dropping and copying forward segments)
// Internal to the broker library.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
#include "broker/waiters.h"

namespace cmq::broker {

struct Broker::Impl {
  Impl(env::Clock* c, journal::RecordLog* l, Limits lim) : clock(c), log(l), limits(lim) {}

  env::Clock* clock;
  journal::RecordLog* log;
  Limits limits;

  // Broker time: the clock, but never going back (enqueue times stay ordered).
  int64_t now_ms = 0;
  uint64_t next_msg_id = 1;
  uint64_t next_queue_uid = 1;

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

  struct ReclaimScan {
    bool active = false;
    uint32_t segment = 0;
    std::vector<uint64_t> uids;
    size_t next_queue = 0;
    uint64_t next_pos = 0;
    int64_t finished_ms = INT64_MIN / 2;
  };
  ReclaimScan scan;

  // Callbacks to run once the current call's state changes are complete.
  std::vector<std::function<void()>> ready;

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
  Result<std::vector<ReceivedMessage>> ReceiveNow(Queue* q, int n, int64_t now);
  void MoveToDeadLetter(Queue* q, const std::vector<uint64_t>& positions, int64_t now);
  QueueView View(const Queue& q) const;
  void RunReady();

  // --- apply: the only code that changes queue state (broker_apply.cc) ---------------
  Status ApplySnapshot(const SnapshotRecord& r);
  Status ApplyCreate(const CreateQueueRecord& r);
  void ApplySet(const SetQueueRecord& r);
  void ApplyDeleteQueue(const DeleteQueueRecord& r);
  Status ApplySend(const SendRecord& r, journal::Location first_body);
  void ApplyReceive(const ReceiveRecord& r);
  void ApplyDelete(const DeleteRecord& r);
  void ApplyRewind(const RewindRecord& r);
  Status ApplyMove(const DeadLetterMoveRecord& r);
  Status ApplyRelocate(const RelocateRecord& r, journal::Location body, uint32_t body_len);
  Status ReplayRecord(journal::RecordType type, std::string_view payload, journal::Location loc);
  SnapshotRecord MakeSnapshot() const;
  void NoteTime(int64_t t) { now_ms = std::max(now_ms, t); }
  Queue* AddQueue(const QueueMeta& meta);

  // --- reclamation (broker_reclaim.cc) ------------------------------------------------
  void Reclaim(int64_t now);
  void DropDeadSegments();
  bool Relocate(Queue* q, uint64_t pos, int64_t now);
};

}  // namespace cmq::broker
