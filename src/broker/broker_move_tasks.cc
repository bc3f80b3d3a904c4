// Message move tasks (redrive of a dead-letter queue, a cmqd extension): the public
// calls, their apply functions and the batches Tick runs. A task is a start record;
// its progress is the batch records under its id and its end an end record, so replay
// rebuilds all three: a task that was running goes on after a restart, one that ended
// stays ended. Reclamation keeps a running task's start record (a pin in `usage`).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_impl.h"
#include "common/strings.h"

namespace cmq::broker {

bool Broker::Impl::MoveTasksRunning() const {
  for (const auto& [id, t] : move_tasks) {
    if (t.status == "RUNNING") return true;
  }
  return false;
}

MoveTaskView Broker::Impl::View(uint64_t id, const MoveTask& t) const {
  MoveTaskView v;
  v.task_handle = "move-" + std::to_string(id);
  if (const Queue* q = QueueByUid(t.source_uid)) v.source_queue = q->meta().name;
  if (const Queue* q = QueueByUid(t.target_uid)) v.destination_queue = q->meta().name;
  v.status = t.status;
  v.failure_reason = t.failure_reason;
  v.moved = t.moved;
  v.to_move = t.to_move;
  v.started_time = t.started_ms / 1000;
  return v;
}

void Broker::StartMessageMoveTask(AccountId account, std::string_view source,
                                  std::optional<std::string_view> destination,
                                  Done<MoveTaskView> done) {
  impl_->Finish(impl_->StartMoveTask(account, source, destination), std::move(done));
}

Result<MoveTaskView> Broker::Impl::StartMoveTask(AccountId account, std::string_view source,
                                                 std::optional<std::string_view> destination) {
  Queue* src = FindQueue(account, source);
  if (src == nullptr) return Status(ErrorCode::kQueueNotExist);
  if (!IsDeadLetterTarget(*src)) return Status(ErrorCode::kNotDeadLetterQueue);
  Queue* target = nullptr;
  if (destination) {
    target = FindQueue(account, *destination);
    if (target == nullptr) return Status(ErrorCode::kQueueNotExist);
    if (target == src) return Status(ErrorCode::kMoveTargetInvalid);
  } else {
    for (const auto& [uid, q] : accounts.at(account).in_order) {
      const auto& p = q->attributes().dead_letter_policy;
      if (!p || !EqualsIgnoreCase(p->queue_name, src->meta().name)) continue;
      if (target != nullptr) return Status(ErrorCode::kMoveTargetAmbiguous);
      target = q;
    }
  }
  for (const auto& [id, t] : move_tasks) {
    if (t.source_uid == src->meta().uid && t.status == "RUNNING") {
      return Status(ErrorCode::kMoveTaskRunning);
    }
  }
  int64_t now = Now();
  AdvanceLive(src, now);
  MoveTaskStartRecord rec{next_move_task_id, src->meta().uid, target->meta().uid, now,
                          src->meta().next_pos, src->active()};
  auto loc = Append(kRecMoveTaskStart, EncodeMoveTaskStart(rec));
  if (!loc.ok()) return loc.status();
  ApplyMoveTaskStart(rec, *loc);
  Reschedule(src);
  return View(rec.task_id, move_tasks.at(rec.task_id));
}

Result<std::vector<MoveTaskView>> Broker::ListMessageMoveTasks(AccountId account,
                                                               std::string_view source) const {
  const Queue* src = impl_->FindQueue(account, source);
  if (src == nullptr) return Status(ErrorCode::kQueueNotExist);
  std::vector<MoveTaskView> out;
  for (auto it = impl_->move_tasks.rbegin(); it != impl_->move_tasks.rend(); ++it) {
    if (it->second.source_uid == src->meta().uid) out.push_back(impl_->View(it->first, it->second));
  }
  return out;
}

void Broker::Impl::ApplyMoveTaskStart(const MoveTaskStartRecord& r, journal::Location loc) {
  NoteTime(r.time_ms);
  next_move_task_id = std::max(next_move_task_id, r.task_id + 1);
  if (QueueByUid(r.source_uid) == nullptr || move_tasks.contains(r.task_id)) return;
  MoveTask t;
  t.source_uid = r.source_uid;
  t.target_uid = r.target_uid;
  t.up_to_pos = r.up_to_pos;
  t.to_move = r.to_move;
  t.started_ms = r.time_ms;
  t.start = loc;
  usage.Add(loc, 0);
  move_tasks[r.task_id] = std::move(t);
  ForgetFinishedMoveTasks();
}

void Broker::Impl::EndTask(MoveTask* task, bool failed, std::string failure_reason) {
  if (task->status == "RUNNING") usage.Remove(task->start, 0);
  task->status = failed ? "FAILED" : "COMPLETED";
  task->failure_reason = std::move(failure_reason);
}

Status Broker::Impl::ApplyMoveTaskBatch(const MoveTaskBatchRecord& r) {
  // Every move of a batch happened when it was recorded. In replay a moved message may
  // be missing from the source (its records were reclaimed; a relocate record brings
  // it back in the destination), so the count comes from the record.
  auto it = move_tasks.find(r.task_id);
  if (it != move_tasks.end()) it->second.moved += static_cast<int64_t>(r.move.moves.size());
  return ApplyMove(r.move, /*dead_letter=*/false);
}

void Broker::Impl::ApplyMoveTaskEnd(const MoveTaskEndRecord& r) {
  NoteTime(r.time_ms);
  auto it = move_tasks.find(r.task_id);
  if (it == move_tasks.end()) return;
  EndTask(&it->second, r.failed, r.failure_reason);
  ForgetFinishedMoveTasks();
}

void Broker::Impl::EndMoveTask(uint64_t id, int64_t now, std::string reason) {
  MoveTaskEndRecord rec{id, now, !reason.empty(), std::move(reason)};
  auto loc = Append(kRecMoveTaskEnd, EncodeMoveTaskEnd(rec));
  if (!loc.ok()) {
    // The log refuses appends (it failed, or the disk is full): the task stops here
    // and says why; a restart, which replays no end, runs it on.
    EndTask(&move_tasks.at(id), true,
            rec.failed ? rec.failure_reason + "; " + loc.status().ToString()
                       : loc.status().ToString());
    return;
  }
  ApplyMoveTaskEnd(rec);
}

void Broker::Impl::ForgetFinishedMoveTasks() {
  for (auto it = move_tasks.begin();
       it != move_tasks.end() && move_tasks.size() > Broker::kMaxMoveTasksKept;) {
    it = it->second.status == "RUNNING" ? std::next(it) : move_tasks.erase(it);
  }
}

void Broker::Impl::RunMoveTasks(int64_t now) {
  // Ending a task may forget older ended ones: end them after the walk.
  std::vector<std::pair<uint64_t, std::string>> ended;
  for (auto& [id, task] : move_tasks) {
    if (task.status != "RUNNING") continue;
    Queue* src = QueueByUid(task.source_uid);
    Queue* target = QueueByUid(task.target_uid);
    if (src == nullptr || target == nullptr) {
      ended.emplace_back(id, src == nullptr ? "the source queue was deleted"
                                            : "the destination queue was deleted");
      continue;
    }
    AdvanceLive(src, now);
    AdvanceLive(target, now);
    const int64_t room = target->attributes().max_msg_heap_num - target->held();
    if (room <= 0) {
      // Waiting for room would keep Tick busy; the operator starts a new task later.
      ended.emplace_back(id, "the destination queue is full (maxMsgHeapNum)");
      continue;
    }
    const int n = static_cast<int>(std::min<int64_t>(room, Broker::kMoveBatch));
    std::vector<uint64_t> taken = src->TakeActive(n);
    // Oldest first: what lies at or above up_to_pos arrived after the task started.
    const uint64_t up_to_pos = task.up_to_pos;  // clang: a lambda cannot capture a binding
    auto newer = std::find_if(taken.begin(), taken.end(),
                              [up_to_pos](uint64_t pos) { return pos >= up_to_pos; });
    src->ReturnActive(std::vector<uint64_t>(newer, taken.end()));
    taken.erase(newer, taken.end());
    if (taken.empty()) {
      ended.emplace_back(id, "");
      continue;
    }
    MoveTaskBatchRecord rec;
    rec.task_id = id;
    rec.move.source_uid = src->meta().uid;
    rec.move.dlq_uid = target->meta().uid;
    rec.move.time_ms = now;
    uint64_t next = target->meta().next_pos;
    for (uint64_t pos : taken) rec.move.moves.push_back({pos, next++});
    auto loc = Append(kRecMoveTaskBatch, EncodeMoveTaskBatch(rec));
    if (!loc.ok()) {
      src->ReturnActive(taken);
      ended.emplace_back(id, loc.status().ToString());
      continue;
    }
    // Built from the live state just now, so it applies; its Status speaks only of
    // records met in replay.
    (void)ApplyMoveTaskBatch(rec);
    ServeWaiters(target, now);
    Reschedule(target);
    Reschedule(src);
  }
  for (auto& [id, reason] : ended) EndMoveTask(id, now, std::move(reason));
}

}  // namespace cmq::broker
