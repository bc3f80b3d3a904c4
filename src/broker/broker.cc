// The broker's public calls: validate against the current state, build a record,
// append it, apply it (broker_apply.cc), then complete once durable (Impl::Finish).
// Time-driven work runs in Tick.
#include "broker/broker.h"

#include <algorithm>
#include <string>
#include <utility>

#include "broker/broker_impl.h"
#include "broker/receipt_handle.h"
#include "common/coding.h"
#include "common/log.h"
#include "common/strings.h"

namespace cmq::broker {
namespace {

constexpr size_t kQueueIdChars = 10;

// The accounts of `by_account` by ascending id: the stable order of /metrics.
template <typename ByAccount>
std::vector<AccountId> AccountsInOrder(const ByAccount& by_account) {
  std::vector<AccountId> accounts;
  accounts.reserve(by_account.size());
  for (const auto& [id, account] : by_account) accounts.push_back(id);
  std::sort(accounts.begin(), accounts.end());
  return accounts;
}

QueueAttributes Merge(QueueAttributes a, const QueueAttributeUpdate& u) {
  if (u.max_msg_heap_num) a.max_msg_heap_num = *u.max_msg_heap_num;
  if (u.polling_wait_seconds) a.polling_wait_seconds = *u.polling_wait_seconds;
  if (u.visibility_timeout) a.visibility_timeout = *u.visibility_timeout;
  if (u.max_msg_size) a.max_msg_size = *u.max_msg_size;
  if (u.msg_retention_seconds) a.msg_retention_seconds = *u.msg_retention_seconds;
  if (u.rewind_seconds) a.rewind_seconds = *u.rewind_seconds;
  if (u.dead_letter_policy) a.dead_letter_policy = u.dead_letter_policy;
  return a;
}

// What a received and a peeked message (ReceivedMessage, PeekedMessage) both say of a
// message: its id, body, times and receive count.
template <typename Message>
Message Describe(const MessageEntry& e, std::string body) {
  Message m;
  m.msg_id = std::to_string(e.msg_id);
  m.body = std::move(body);
  m.enqueue_time = e.enqueue_ms / 1000;
  m.first_dequeue_time = e.first_dequeue_ms / 1000;
  m.next_visible_time = e.deadline_ms / 1000;
  m.dequeue_count = e.dequeue_count;
  return m;
}

QueuePage Page(const std::vector<QueueRef>& matches, int64_t offset, int64_t limit) {
  QueuePage page;
  page.total_count = static_cast<int64_t>(matches.size());
  page.queues = PageOf(matches, offset, limit);
  return page;
}

}  // namespace

// --- helpers -------------------------------------------------------------------------

int64_t Broker::Impl::Now() {
  now_ms = std::max(now_ms, clock->NowMs());
  return now_ms;
}

Queue* Broker::Impl::FindQueue(AccountId account, std::string_view name) const {
  auto acc = accounts.find(account);
  if (acc == accounts.end()) return nullptr;
  auto it = acc->second.by_name.find(AsciiLower(name));
  return it == acc->second.by_name.end() ? nullptr : QueueByUid(it->second);
}

Queue* Broker::Impl::QueueByUid(uint64_t uid) const {
  auto it = queues.find(uid);
  return it == queues.end() ? nullptr : it->second.get();
}

bool Broker::Impl::IsDeadLetterTarget(const Queue& target) const {
  auto acc = accounts.find(target.meta().account);
  if (acc == accounts.end()) return false;
  for (const auto& [uid, q] : acc->second.in_order) {
    const auto& p = q->attributes().dead_letter_policy;
    if (q != &target && p && EqualsIgnoreCase(p->queue_name, target.meta().name)) return true;
  }
  return false;
}

DeadLetterRule Broker::Impl::RuleFor(const Queue& q) const {
  DeadLetterRule rule;
  const auto& p = q.attributes().dead_letter_policy;
  if (!p || storage_failed) return rule;
  const Queue* dlq = FindQueue(q.meta().account, p->queue_name);
  if (dlq == nullptr || dlq == &q) return rule;
  rule.enabled = true;
  rule.policy = p->policy;
  rule.max_receive_count = p->max_receive_count;
  rule.ttl_ms = static_cast<int64_t>(p->max_time_to_live) * 1000;
  return rule;
}

Status Broker::Impl::CheckDeadLetterPolicy(AccountId account, const Queue* self,
                                           std::string_view self_name,
                                           const QueueAttributes& merged) const {
  const DeadLetterPolicy& p = *merged.dead_letter_policy;
  if (p.policy != 0 && p.policy != 1) return Status(ErrorCode::kDlqPolicyMember);
  if (p.queue_name.empty()) return Status(ErrorCode::kDlqQueueMember);
  if (p.policy == 0 && p.max_receive_count < 1) return Status(ErrorCode::kDlqParams);
  if (p.policy == 1 &&
      (p.max_time_to_live < 1 || p.max_time_to_live >= merged.msg_retention_seconds)) {
    return Status(ErrorCode::kDlqParams);
  }
  if (EqualsIgnoreCase(p.queue_name, self_name)) return Status(ErrorCode::kDlqNest);
  const Queue* dlq = FindQueue(account, p.queue_name);
  if (dlq == nullptr) return Status(ErrorCode::kDlqNotExist);
  if (dlq->attributes().dead_letter_policy) return Status(ErrorCode::kDlqNest);
  if (self != nullptr && IsDeadLetterTarget(*self)) return Status(ErrorCode::kDlqNest);
  int sources = 0;
  for (const auto& [uid, q] : accounts.at(account).in_order) {
    const auto& qp = q->attributes().dead_letter_policy;
    if (q != self && qp && EqualsIgnoreCase(qp->queue_name, dlq->meta().name)) ++sources;
  }
  if (sources >= limits.max_dead_letter_sources) return Status(ErrorCode::kDlqBindTooMany);
  return Status::Ok();
}

Result<journal::Location> Broker::Impl::Append(journal::RecordType type,
                                               std::span<const std::string_view> parts) {
  const uint64_t msg_id_before = next_msg_id;
  Result<journal::Location> loc = log->Append(type, parts);
  if (!loc.ok()) {
    if (loc.status().error() == ErrorCode::kStorageFailed) storage_failed = true;
    snapshots.AppendFailed();
    return loc;
  }
  size_t size = 0;
  for (auto p : parts) size += p.size();
  usage.NoteWrite(*loc, size);
  snapshots.Appended(*loc, size);
  NoteSegment(*loc, msg_id_before);
  return loc;
}

void Broker::Impl::Reschedule(Queue* q) {
  int64_t d = q->NextDeadline(RuleFor(*q));
  if (d == q->scheduled) return;
  schedule.erase({q->scheduled, q->meta().uid});
  q->scheduled = d;
  if (d != INT64_MAX) schedule.emplace(d, q->meta().uid);
}

void Broker::Impl::AdvanceLive(Queue* q, int64_t now) {
  q->ExpireTo(now);
  std::vector<uint64_t> moves;
  q->ProcessDue(now, RuleFor(*q), &moves);
  if (!moves.empty()) MoveToDeadLetter(q, moves, now);
}

void Broker::Impl::MoveToDeadLetter(Queue* q, const std::vector<uint64_t>& positions, int64_t now) {
  Queue* dlq = FindQueue(q->meta().account, q->attributes().dead_letter_policy->queue_name);
  DeadLetterMoveRecord rec;
  rec.source_uid = q->meta().uid;
  rec.dlq_uid = dlq->meta().uid;
  rec.time_ms = now;
  uint64_t next = dlq->meta().next_pos;
  for (uint64_t pos : positions) rec.moves.push_back({pos, next++});
  auto loc = Append(kRecDeadLetterMove, EncodeDeadLetterMove(rec));
  if (!loc.ok()) {
    // Cannot record the move: the messages stay, visible again.
    for (uint64_t pos : positions) q->Activate(pos);
    return;
  }
  // Built from the live state just now, so it applies; its Status speaks only of
  // records met in replay.
  (void)ApplyMove(rec);
  ServeWaiters(dlq, now);
  Reschedule(dlq);
}

Status Broker::Impl::ReadBodies(const Queue& q, const std::vector<uint64_t>& positions,
                                std::vector<std::string>* bodies) const {
  bodies->assign(positions.size(), std::string());
  std::vector<journal::RecordLog::Range> ranges;
  ranges.reserve(positions.size());
  for (uint64_t pos : positions) {
    const MessageEntry* e = q.Find(pos);
    ranges.push_back({e->body, e->body_len});
  }
  // The bodies of one batch send lie side by side in the log: one read serves them.
  return log->ReadMany(ranges, bodies->data());
}

Result<std::vector<ReceivedMessage>> Broker::Impl::ReceiveNow(Queue* q, int n, int64_t now,
                                                              const ClientAddress& client,
                                                              journal::Lsn* answer_after) {
  std::vector<uint64_t> positions = q->TakeActive(n);
  if (positions.empty()) return Status(ErrorCode::kNoMessage);
  std::vector<std::string> bodies;
  Status read = ReadBodies(*q, positions, &bodies);
  if (!read.ok()) {
    q->ReturnActive(positions);
    return Status(ErrorCode::kReceiveFailed, read.ToString());
  }
  ReceiveRecord rec;
  rec.uid = q->meta().uid;
  rec.time_ms = now;
  rec.visible_until_ms = now + static_cast<int64_t>(q->attributes().visibility_timeout) * 1000;
  rec.positions = positions;
  rec.client = client;
  // Only the records that put these messages here must be durable before the answer,
  // not everything appended before (other consumers' deletes, say).
  journal::Lsn depends_on = 0;
  for (uint64_t pos : positions) depends_on = std::max(depends_on, q->Find(pos)->lsn);
  auto loc = Append(kRecReceive, EncodeReceive(rec));
  if (!loc.ok()) {
    q->ReturnActive(positions);
    return loc.status();
  }
  *answer_after = options.receives_wait_for_their_own_record ? log->LastAppended() : depends_on;
  ApplyReceive(rec);
  std::vector<ReceivedMessage> out;
  out.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    const MessageEntry* e = q->Find(positions[i]);
    auto m = Describe<ReceivedMessage>(*e, std::move(bodies[i]));
    m.receipt_handle =
        EncodeReceiptHandle({q->meta().uid, positions[i], e->generation}, q->meta().handle_key);
    out.push_back(std::move(m));
  }
  return out;
}

void Broker::Impl::AnswerReceive(Broker::ReceiveDone done,
                                 Result<std::vector<ReceivedMessage>> result,
                                 journal::Lsn answer_after) {
  if (!result.ok()) {
    ready.push_back([done = std::move(done), s = result.status()] { done(s); });
    return;
  }
  ready_when_durable.emplace_back(answer_after, AfterDurable(std::move(result), std::move(done)));
}

void Broker::Impl::ServeWaiters(Queue* q, int64_t now) {
  while (q->active() > 0) {
    auto w = waiters.PopFront(q->meta().uid);
    if (!w) return;
    journal::Lsn answer_after = 0;
    auto result = ReceiveNow(q, w->max_messages, now, w->client, &answer_after);
    if (LogEnabled(LogLevel::kDebug)) {
      LogEvent(LogLevel::kDebug, "long poll woken",
               {{"queue", q->meta().name},
                {"messages", result.ok() ? result->size() : 0},
                {"leftMs", w->deadline_ms - now}});
    }
    AnswerReceive(std::move(w->done), std::move(result), answer_after);
  }
}

QueueView Broker::Impl::View(const Queue& q) const {
  QueueView v;
  v.queue_id = q.meta().queue_id;
  v.name = q.meta().name;
  v.attributes = q.attributes();
  v.create_time = q.meta().create_ms / 1000;
  v.last_modify_time = q.meta().modify_ms / 1000;
  v.counters = q.Counters();
  v.traffic = q.traffic;
  return v;
}

void Broker::Impl::RunReady() {
  while (!ready.empty() || !ready_when_durable.empty()) {
    auto batch = std::move(ready);
    ready.clear();
    for (auto& f : batch) f();
    auto waiting = std::move(ready_when_durable);
    ready_when_durable.clear();
    for (auto& [lsn, f] : waiting) log->WhenDurable(lsn, std::move(f));
  }
}

// --- Broker ----------------------------------------------------------------------------

Broker::Broker(env::Clock* clock, journal::RecordLog* log, Limits limits, BrokerOptions options)
    : impl_(std::make_unique<Impl>(clock, log, limits, options)) {
  log->SetSegmentPreamble(
      [impl = impl_.get()](uint32_t segment, journal::RecordType* type, std::string* payload) {
        impl->SegmentPreamble(segment, type, payload);
      });
}

Broker::~Broker() { impl_->log->SetSegmentPreamble(nullptr); }

void Broker::CreateQueue(AccountId account, std::string_view name,
                         const QueueAttributeUpdate& attributes, Done<QueueView> done) {
  impl_->Finish(impl_->CreateQueue(account, name, attributes), std::move(done));
}

Result<QueueView> Broker::Impl::CreateQueue(AccountId account, std::string_view name,
                                            const QueueAttributeUpdate& attributes) {
  int64_t now = Now();
  if (name.empty()) return Status(ErrorCode::kQueueNameFormat);
  if (FindQueue(account, name) != nullptr) return Status(ErrorCode::kQueueExists);
  auto acc = accounts.find(account);
  if (acc != accounts.end() &&
      static_cast<int64_t>(acc->second.in_order.size()) >= limits.max_queues_per_account) {
    return Status(ErrorCode::kQueueQuota);
  }
  QueueAttributes defaults;
  defaults.max_msg_heap_num = limits.default_max_msg_heap_num;
  QueueAttributes merged = Merge(defaults, attributes);
  if (merged.rewind_seconds > merged.msg_retention_seconds) {
    return Status(ErrorCode::kRewindExceedsRetention);
  }
  if (merged.dead_letter_policy) {
    CMQ_RETURN_IF_ERROR(CheckDeadLetterPolicy(account, nullptr, name, merged));
  }
  CreateQueueRecord rec;
  rec.time_ms = now;
  QueueMeta& meta = rec.meta;
  meta.account = account;
  meta.uid = next_queue_uid;
  do {
    meta.queue_id = "queue-" + RandomAlnum(kQueueIdChars);
  } while (queue_ids.contains(meta.queue_id));
  meta.name = std::string(name);
  PutFixed64(&meta.handle_key, RandomUint64());
  PutFixed64(&meta.handle_key, RandomUint64());
  meta.create_ms = meta.modify_ms = now;
  meta.attributes = merged;
  auto loc = Append(kRecCreateQueue, EncodeCreateQueue(rec));
  if (!loc.ok()) return loc.status();
  CMQ_RETURN_IF_ERROR(ApplyCreate(rec));
  Queue* q = QueueByUid(meta.uid);
  Reschedule(q);
  return View(*q);
}

Result<QueuePage> Broker::ListQueues(AccountId account, std::string_view search_word,
                                     int64_t offset, int64_t limit) const {
  std::vector<QueueRef> matches;
  auto acc = impl_->accounts.find(account);
  if (acc != impl_->accounts.end()) {
    for (const auto& [uid, q] : acc->second.in_order) {
      if (ContainsIgnoreCase(q->meta().name, search_word)) {
        matches.push_back({q->meta().queue_id, q->meta().name});
      }
    }
  }
  return Page(matches, offset, limit);
}

Result<QueueView> Broker::GetQueue(AccountId account, std::string_view name) const {
  const Queue* q = impl_->FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  return impl_->View(*q);
}

void Broker::SetQueueAttributes(AccountId account, std::string_view name,
                                const QueueAttributeUpdate& update, Done<QueueView> done) {
  impl_->Finish(impl_->SetQueueAttributes(account, name, update), std::move(done));
}

Result<QueueView> Broker::Impl::SetQueueAttributes(AccountId account, std::string_view name,
                                                   const QueueAttributeUpdate& update) {
  Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  int64_t now = Now();
  AdvanceLive(q, now);
  QueueAttributes merged = Merge(q->attributes(), update);
  if (merged.rewind_seconds > merged.msg_retention_seconds) {
    return Status(ErrorCode::kRewindExceedsRetention);
  }
  if (merged.dead_letter_policy && (update.dead_letter_policy || update.msg_retention_seconds)) {
    CMQ_RETURN_IF_ERROR(CheckDeadLetterPolicy(account, q, q->meta().name, merged));
  }
  SetQueueRecord rec{q->meta().uid, now, merged};
  auto loc = Append(kRecSetQueue, EncodeSetQueue(rec));
  if (!loc.ok()) return loc.status();
  ApplySet(rec);
  Reschedule(q);
  return View(*q);
}

void Broker::DeleteQueue(AccountId account, std::string_view name, Done<> done) {
  impl_->Finish(impl_->DeleteQueue(account, name), std::move(done));
}

Status Broker::Impl::DeleteQueue(AccountId account, std::string_view name) {
  Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  if (IsDeadLetterTarget(*q)) return Status(ErrorCode::kDlqDeleteActive);
  DeleteQueueRecord rec{q->meta().uid, Now()};
  auto loc = Append(kRecDeleteQueue, EncodeDeleteQueue(rec));
  if (!loc.ok()) return loc.status();
  for (auto& w : waiters.RemoveQueue(rec.uid)) {
    ready.push_back([done = std::move(w.done)] { done(Status(ErrorCode::kQueueNotExist)); });
  }
  ApplyDeleteQueue(rec);
  return Status::Ok();
}

void Broker::RewindQueue(AccountId account, std::string_view name, int64_t start_consume_time,
                         Done<> done) {
  impl_->Finish(impl_->RewindQueue(account, name, start_consume_time), std::move(done));
}

Status Broker::Impl::RewindQueue(AccountId account, std::string_view name,
                                 int64_t start_consume_time) {
  Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  int64_t now = Now();
  AdvanceLive(q, now);
  int64_t rewind = q->attributes().rewind_seconds;
  if (rewind <= 0) return Status(ErrorCode::kRewindDisabled);
  int64_t now_s = now / 1000;
  if (start_consume_time < now_s - rewind || start_consume_time > now_s) {
    return Status(ErrorCode::kRewindTimeInvalid);
  }
  RewindRecord rec{q->meta().uid, now, start_consume_time};
  auto loc = Append(kRecRewind, EncodeRewind(rec));
  if (!loc.ok()) return loc.status();
  ApplyRewind(rec);
  ServeWaiters(q, now);
  Reschedule(q);
  return Status::Ok();
}

void Broker::PurgeQueue(AccountId account, std::string_view name, Done<int64_t> done) {
  impl_->Finish(impl_->PurgeQueue(account, name), std::move(done));
}

Result<int64_t> Broker::Impl::PurgeQueue(AccountId account, std::string_view name) {
  Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  int64_t now = Now();
  AdvanceLive(q, now);
  PurgeRecord rec{q->meta().uid, now};
  auto loc = Append(kRecPurge, EncodePurge(rec));
  if (!loc.ok()) return loc.status();
  const int64_t held = q->held();
  ApplyPurge(rec);
  Reschedule(q);
  return held;
}

void Broker::PeekMessages(AccountId account, std::string_view name, int max_messages,
                          std::optional<PeekState> only, Done<std::vector<PeekedMessage>> done) {
  journal::Lsn answer_after = 0;
  Result<std::vector<PeekedMessage>> result =
      impl_->PeekMessages(account, name, max_messages, only, &answer_after);
  impl_->RunReady();
  if (!result.ok()) return done(result.status());
  impl_->log->WhenDurable(answer_after, AfterDurable(std::move(result), std::move(done)));
}

Result<std::vector<PeekedMessage>> Broker::Impl::PeekMessages(AccountId account,
                                                              std::string_view name,
                                                              int max_messages,
                                                              std::optional<PeekState> only,
                                                              journal::Lsn* answer_after) {
  const Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  const int64_t now = Now();
  std::vector<uint64_t> positions;
  std::vector<PeekState> states;
  const MessageTable& table = q->table();
  for (auto p = table.NextLive(0); p && static_cast<int>(positions.size()) < max_messages;
       p = table.NextLive(*p + 1)) {
    const MessageEntry* e = table.Find(*p);
    PeekState state;
    if (e->state == MessageState::kDelayed) {
      state = PeekState::kDelayed;
    } else if (e->state == MessageState::kInactive) {
      state = PeekState::kInactive;
    } else if (e->state == MessageState::kActive) {
      state = PeekState::kActive;
    } else {
      continue;  // rewindable: deleted
    }
    // A timer that ended waits for Tick, which Peek does not run (it changes nothing).
    if (state != PeekState::kActive && e->deadline_ms <= now) state = PeekState::kActive;
    if (only && *only != state) continue;
    positions.push_back(*p);
    states.push_back(state);
  }
  for (uint64_t pos : positions) *answer_after = std::max(*answer_after, q->Find(pos)->lsn);
  std::vector<std::string> bodies;
  Status read = ReadBodies(*q, positions, &bodies);
  if (!read.ok()) return Status(ErrorCode::kReceiveFailed, read.ToString());
  std::vector<PeekedMessage> out;
  out.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    auto m = Describe<PeekedMessage>(*q->Find(positions[i]), std::move(bodies[i]));
    m.state = states[i];
    out.push_back(std::move(m));
  }
  return out;
}

Result<QueuePage> Broker::ListDeadLetterSourceQueues(AccountId account, std::string_view dlq_name,
                                                     std::string_view search_word, int64_t offset,
                                                     int64_t limit) const {
  const Queue* dlq = impl_->FindQueue(account, dlq_name);
  if (dlq == nullptr) return Status(ErrorCode::kQueueNotExist);
  std::vector<QueueRef> matches;
  for (const auto& [uid, q] : impl_->accounts.at(account).in_order) {
    const auto& p = q->attributes().dead_letter_policy;
    if (p && EqualsIgnoreCase(p->queue_name, dlq->meta().name) &&
        ContainsIgnoreCase(q->meta().name, search_word)) {
      matches.push_back({q->meta().queue_id, q->meta().name});
    }
  }
  return Page(matches, offset, limit);
}

void Broker::UnbindDeadLetterQueue(AccountId account, std::string_view name,
                                   Done<std::string> done) {
  impl_->Finish(impl_->UnbindDeadLetterQueue(account, name), std::move(done));
}

Result<std::string> Broker::Impl::UnbindDeadLetterQueue(AccountId account, std::string_view name) {
  Queue* q = FindQueue(account, name);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  if (!q->attributes().dead_letter_policy) return q->meta().queue_id;
  int64_t now = Now();
  AdvanceLive(q, now);
  SetQueueRecord rec{q->meta().uid, now, q->attributes()};
  rec.attributes.dead_letter_policy.reset();
  auto loc = Append(kRecSetQueue, EncodeSetQueue(rec));
  if (!loc.ok()) return loc.status();
  ApplySet(rec);
  Reschedule(q);
  return q->meta().queue_id;
}

void Broker::SendMessages(AccountId account, std::string_view queue,
                          const std::vector<std::string_view>& bodies, int64_t delay_seconds,
                          Done<std::vector<std::string>> done) {
  impl_->Finish(impl_->SendMessages(account, queue, bodies, delay_seconds), std::move(done));
}

Result<std::vector<std::string>> Broker::Impl::SendMessages(
    AccountId account, std::string_view queue, const std::vector<std::string_view>& bodies,
    int64_t delay_seconds) {
  Queue* q = FindQueue(account, queue);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  const QueueAttributes& a = q->attributes();
  if (bodies.empty()) return Status(ErrorCode::kBatchSizeOutOfRange, "msgBody");
  int64_t max_delay = limits.max_delay_seconds >= 0
                          ? limits.max_delay_seconds
                          : static_cast<int64_t>(a.msg_retention_seconds) - 1;
  if (delay_seconds < 0 || delay_seconds > max_delay) {
    return Status(ErrorCode::kOutOfRange, "delaySeconds");
  }
  uint64_t total = 0;
  for (auto body : bodies) {
    if (body.empty()) return Status(ErrorCode::kEmptyBody);
    if (body.size() > static_cast<uint64_t>(std::max(a.max_msg_size, 0))) {
      return Status(ErrorCode::kMsgTooLarge);
    }
    total += body.size();
  }
  if (total > static_cast<uint64_t>(limits.max_batch_body_bytes)) {
    return Status(ErrorCode::kBatchTooLarge);
  }
  int64_t now = Now();
  AdvanceLive(q, now);
  const int64_t n = static_cast<int64_t>(bodies.size());
  if (q->held() + n > a.max_msg_heap_num) return Status(ErrorCode::kHeapFull);
  if (int64_t cap = limits.max_inflight_per_queue; cap > 0) {
    int64_t in_flight = q->inactive() + q->delayed();
    if (in_flight >= cap || (delay_seconds > 0 && in_flight + n > cap)) {
      return Status(ErrorCode::kTooManyInflight);
    }
  }
  SendRecord rec;
  rec.uid = q->meta().uid;
  rec.time_ms = now;
  rec.visible_ms = now + delay_seconds * 1000;
  rec.first_pos = q->meta().next_pos;
  rec.first_msg_id = next_msg_id;
  for (auto body : bodies) rec.lengths.push_back(static_cast<uint32_t>(body.size()));
  std::string header = EncodeSendHeader(rec);
  uint64_t record_bytes = journal::kRecordOverhead + header.size() + total;
  uint64_t reserve = record_bytes + static_cast<uint64_t>(totals.held + n) * kDeleteRecordReserve;
  CMQ_RETURN_IF_ERROR(ReserveHeadroom(reserve));  // kDiskFull, or what else failed
  std::vector<std::string_view> parts;
  parts.reserve(bodies.size() + 1);
  parts.push_back(header);
  parts.insert(parts.end(), bodies.begin(), bodies.end());
  auto loc = Append(kRecSend, parts);
  if (!loc.ok()) return loc.status();
  CMQ_RETURN_IF_ERROR(ApplySend(rec, *loc + header.size()));
  if (delay_seconds == 0) ServeWaiters(q, now);
  Reschedule(q);
  std::vector<std::string> ids;
  ids.reserve(bodies.size());
  for (int64_t i = 0; i < n; ++i) ids.push_back(std::to_string(rec.first_msg_id + i));
  return ids;
}

uint64_t Broker::ReceiveMessages(AccountId account, std::string_view queue, int max_messages,
                                 int wait_seconds, ReceiveDone done, const ClientAddress& client) {
  Impl& m = *impl_;
  OnExit run_ready([&m] { m.RunReady(); });
  uint64_t waiter = 0;
  Queue* q = m.FindQueue(account, queue);
  if (q == nullptr) {
    m.ready.push_back([done = std::move(done)] { done(Status(ErrorCode::kQueueNotExist)); });
  } else {
    int64_t now = m.Now();
    m.AdvanceLive(q, now);
    m.ServeWaiters(q, now);  // those parked earlier come first
    int wait = wait_seconds < 0 ? q->attributes().polling_wait_seconds : wait_seconds;
    wait = std::clamp(wait, 0, std::max(m.limits.max_polling_wait_seconds, 0));
    if (q->active() > 0) {
      journal::Lsn answer_after = 0;
      auto result = m.ReceiveNow(q, std::max(max_messages, 1), now, client, &answer_after);
      m.AnswerReceive(std::move(done), std::move(result), answer_after);
    } else if (wait == 0) {
      m.ready.push_back([done = std::move(done)] { done(Status(ErrorCode::kNoMessage)); });
    } else {
      waiter = m.waiters.Park(q->meta().uid, std::max(max_messages, 1),
                              now + static_cast<int64_t>(wait) * 1000, std::move(done), client);
      if (LogEnabled(LogLevel::kDebug)) {
        LogEvent(LogLevel::kDebug, "long poll parked",
                 {{"queue", q->meta().name}, {"waitSeconds", wait}, {"parked", m.waiters.size()}});
      }
    }
    m.Reschedule(q);
  }
  return waiter;
}

void Broker::CancelReceive(uint64_t waiter_id) { impl_->waiters.Remove(waiter_id); }

void Broker::AbandonWaiters(const Status& why) {
  for (WaiterTable::Waiter& w : impl_->waiters.PopExpired(INT64_MAX)) w.done(why);
}

void Broker::DeleteMessages(AccountId account, std::string_view queue,
                            const std::vector<std::string_view>& handles,
                            Done<std::vector<DeleteOutcome>> done) {
  Result<std::vector<DeleteOutcome>> outcomes = impl_->DeleteMessages(account, queue, handles);
  // No handle was valid: nothing was appended, nothing to wait for.
  bool deleted = outcomes.ok() && std::any_of(outcomes->begin(), outcomes->end(),
                                              [](const DeleteOutcome& o) { return o.status.ok(); });
  impl_->Finish(std::move(outcomes), std::move(done), deleted);
}

Result<std::vector<DeleteOutcome>> Broker::Impl::DeleteMessages(
    AccountId account, std::string_view queue, const std::vector<std::string_view>& handles) {
  Queue* q = FindQueue(account, queue);
  if (q == nullptr) return Status(ErrorCode::kQueueNotExist);
  int64_t now = Now();
  AdvanceLive(q, now);
  DeleteRecord rec;
  rec.uid = q->meta().uid;
  rec.time_ms = now;
  std::vector<DeleteOutcome> outcomes;
  outcomes.reserve(handles.size());
  // A handle named twice deletes once. A request has a batch of handles at most (16):
  // looking through those taken is cheaper than hashing them.
  auto taken = [&rec](uint64_t pos) {
    return std::find(rec.positions.begin(), rec.positions.end(), pos) != rec.positions.end();
  };
  for (auto text : handles) {
    DeleteOutcome out;
    out.receipt_handle = std::string(text);
    auto h = DecodeReceiptHandle(text, q->meta().handle_key);
    const MessageEntry* e = h && h->queue_uid == rec.uid ? q->Find(h->position) : nullptr;
    if (e != nullptr && e->state == MessageState::kInactive && e->generation == h->generation &&
        now < e->deadline_ms && !taken(h->position)) {
      rec.positions.push_back(h->position);
    } else {
      out.status = Status(ErrorCode::kReceiptHandleInvalid);
    }
    outcomes.push_back(std::move(out));
  }
  if (!rec.positions.empty()) {
    auto loc = Append(kRecDelete, EncodeDelete(rec));
    if (!loc.ok()) return loc.status();
    ApplyDelete(rec);
  }
  Reschedule(q);
  return outcomes;
}

void Broker::Tick() {
  Impl& m = *impl_;
  OnExit run_ready([&m] { m.RunReady(); });
  int64_t now = m.Now();
  std::vector<uint64_t> due;
  for (const auto& [deadline, uid] : m.schedule) {
    if (deadline > now) break;
    due.push_back(uid);
  }
  for (uint64_t uid : due) {
    Queue* q = m.QueueByUid(uid);
    if (q == nullptr) continue;
    m.AdvanceLive(q, now);
    m.ServeWaiters(q, now);
    m.Reschedule(q);
  }
  m.RunMoveTasks(now);
  m.ExpireTopics(now);
  m.RunQueueDeliveries(now);
  m.DispatchPushes(now);
  m.PruneDeliveryHeaps(now);
  for (auto& w : m.waiters.PopExpired(now)) {
    m.ready.push_back([done = std::move(w.done)] { done(Status(ErrorCode::kNoMessage)); });
  }
  m.Reclaim(now);
}

int64_t Broker::NextDeadlineMs() const {
  const Impl& m = *impl_;
  int64_t next = m.waiters.NextDeadline();
  if (!m.schedule.empty()) next = std::min(next, m.schedule.begin()->first);
  if (m.ReclaimDue()) next = std::min(next, m.now_ms);
  if (m.MoveTasksRunning()) next = std::min(next, m.now_ms);
  if (!m.topic_schedule.empty()) next = std::min(next, m.topic_schedule.begin()->first);
  if (!m.queue_due.empty()) next = std::min(next, m.queue_due.Top().due);
  // Without a sink nobody takes HTTP deliveries: they wait for SetPushSink.
  if (m.push_sink && !m.http_due.empty()) next = std::min(next, m.http_due.Top().due);
  return next;
}

Broker::Stats Broker::GetStats() const {
  const Impl& m = *impl_;
  Stats s;
  s.queues = static_cast<int64_t>(m.queues.size());
  s.messages = m.totals.held + m.totals.rewindable;
  s.parked_receives = static_cast<int64_t>(m.waiters.size());
  s.topics = static_cast<int64_t>(m.topics.size());
  s.pending_deliveries = m.pending_deliveries;
  s.reclaim_stopped = m.reclaim_stopped;
  size_t bytes = m.waiters.MemoryBytes();
  for (const auto& [uid, q] : m.queues) bytes += q->MemoryBytes();
  // Topic messages: a map node and the deliveries vector each (an estimate).
  for (const auto& [uid, t] : m.topics) {
    bytes += sizeof(Topic) + t->messages.size() * (sizeof(TopicMessage) + 64);
  }
  bytes += static_cast<size_t>(m.pending_deliveries) * sizeof(Delivery) +
           m.queue_due.MemoryBytes() + m.http_due.MemoryBytes();
  s.memory_bytes = static_cast<int64_t>(bytes);
  return s;
}

bool Broker::OutOfSpace() {
  Impl& m = *impl_;
  return m.refused_headroom != 0 &&
         m.ReserveHeadroom(m.refused_headroom).error() == ErrorCode::kDiskFull;
}

void Broker::ForEachQueue(const std::function<void(const QueueFigures&)>& fn) const {
  const Impl& m = *impl_;
  for (AccountId id : AccountsInOrder(m.accounts)) {
    for (const auto& [uid, q] : m.accounts.at(id).in_order) {
      fn(QueueFigures{id, q->meta().name, q->traffic, q->Counters()});
    }
  }
}

void Broker::ForEachTopic(const std::function<void(const TopicFigures&)>& fn) const {
  const Impl& m = *impl_;
  TopicFigures figures;
  for (AccountId id : AccountsInOrder(m.topic_accounts)) {
    for (const auto& [uid, t] : m.topic_accounts.at(id).in_order) {
      figures.account = id;
      figures.name = t->meta.name;
      figures.traffic = t->traffic;
      figures.subscriptions.clear();
      for (const auto& [sub_uid, s] : t->subscriptions) {
        figures.subscriptions.push_back(SubscriptionFigures{
            s->meta.spec.name, s->traffic, s->waiting_retry, s->last_push_error_ms / 1000});
      }
      fn(figures);
    }
  }
}

}  // namespace cmq::broker
