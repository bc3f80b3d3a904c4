// The topic model's public calls — topics, subscriptions, publish, HTTP push — and the
// time-driven delivery work of Tick. Each call validates against the current state,
// appends one record and applies it (broker_topic_apply.cc).
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "broker/broker_impl.h"
#include "broker/routing_key_matcher.h"
#include "broker/tag_filter.h"
#include "common/strings.h"

namespace cmq::broker {
namespace {

constexpr size_t kIdChars = 10;
constexpr size_t kMaxPublishBodies = 16;
// Bounds on the delivery work of one Tick, so that a backlog (a queue endpoint that
// was missing for a while) cannot stall the event loop; what is left stays due and
// NextDeadlineMs asks for another Tick at once.
constexpr size_t kAttemptsPerRecord = 256;
constexpr size_t kQueueAttemptsPerTick = 4096;
constexpr size_t kPushesPerCall = 4096;

// A queue that deliveries are about to be placed in: room and positions as they will
// be once the deliveries planned so far are applied.
struct QueuePlan {
  Queue* queue = nullptr;
  int64_t room = 0;
  uint64_t next_pos = 0;
};

}  // namespace

// --- helpers ---------------------------------------------------------------------------

Topic* Broker::Impl::FindTopic(AccountId account, std::string_view name) const {
  auto acc = topic_accounts.find(account);
  if (acc == topic_accounts.end()) return nullptr;
  auto it = acc->second.by_name.find(AsciiLower(name));
  return it == acc->second.by_name.end() ? nullptr : TopicByUid(it->second);
}

Topic* Broker::Impl::TopicByUid(uint64_t uid) const {
  auto it = topics.find(uid);
  return it == topics.end() ? nullptr : it->second.get();
}

Subscription* Broker::Impl::FindSubscription(const Topic& t, std::string_view name) const {
  auto it = t.subscription_names.find(AsciiLower(name));
  return it == t.subscription_names.end() ? nullptr : SubscriptionByUid(it->second);
}

Subscription* Broker::Impl::SubscriptionByUid(uint64_t uid) const {
  auto it = subscriptions.find(uid);
  return it == subscriptions.end() ? nullptr : it->second.get();
}

TopicView Broker::Impl::View(const Topic& t) const {
  TopicView v;
  v.topic_id = t.meta.topic_id;
  v.name = t.meta.name;
  v.attributes.max_msg_size = t.meta.max_msg_size;
  v.attributes.filter_type = t.meta.filter_type;
  v.msg_retention_seconds = t.meta.retention_seconds;
  v.msg_count = static_cast<int64_t>(t.messages.size());
  v.create_time = t.meta.create_ms / 1000;
  v.last_modify_time = t.meta.modify_ms / 1000;
  v.owner = t.meta.account;
  return v;
}

SubscriptionView Broker::Impl::View(const Subscription& s) const {
  SubscriptionView v;
  v.subscription_id = s.meta.subscription_id;
  v.name = s.meta.spec.name;
  const Topic* t = TopicByUid(s.meta.topic_uid);
  if (t != nullptr) {
    v.topic_name = t->meta.name;
    v.topic_owner = t->meta.account;
  }
  v.spec = s.meta.spec;
  v.msg_count = s.pending;
  v.create_time = s.meta.create_ms / 1000;
  v.last_modify_time = s.meta.modify_ms / 1000;
  v.last_push_error = s.last_push_error;
  v.last_push_error_time = s.last_push_error_ms / 1000;
  v.push_failures = s.traffic.push_failures;
  return v;
}

bool Broker::Impl::Accepts(const Topic& t, const Subscription& s,
                           const std::vector<std::string>& tags,
                           std::optional<std::string_view> routing_key) const {
  // Each topic type uses its own mechanism only (section 14, item 52).
  if (t.meta.filter_type == FilterType::kTag)
    return TagFilterAccepts(s.meta.spec.filter_tags, tags);
  if (!routing_key) return false;
  return std::any_of(s.meta.spec.binding_keys.begin(), s.meta.spec.binding_keys.end(),
                     [&](const std::string& key) { return RoutingKeyMatches(key, *routing_key); });
}

// --- time-driven delivery work --------------------------------------------------------------

void Broker::Impl::ExpireTopics(int64_t now) {
  std::vector<uint64_t> due;
  for (const auto& [deadline, uid] : topic_schedule) {
    if (deadline > now) break;
    due.push_back(uid);
  }
  for (uint64_t uid : due) {
    if (Topic* t = TopicByUid(uid)) ExpireTopicTo(t, now);
  }
}

void Broker::Impl::RunQueueDeliveries(int64_t now) {
  size_t budget = kQueueAttemptsPerTick;
  while (budget > 0 && !queue_due.empty() && queue_due.Top().due <= now) {
    if (storage_failed) {
      // Nothing can be recorded any more; the deliveries stay pending for a restart.
      queue_due.Clear();
      return;
    }
    // Collect due deliveries (skipping stale entries) and plan each attempt against
    // the queue as it is now.
    QueueDeliveryRecord rec;
    rec.time_ms = now;
    std::set<std::pair<uint64_t, uint64_t>> taken;
    std::map<uint64_t, QueuePlan> plans;  // by queue uid
    std::vector<std::pair<Subscription*, Topic*>> targets;
    while (rec.attempts.size() < std::min(budget, kAttemptsPerRecord) && !queue_due.empty() &&
           queue_due.Top().due <= now) {
      DeliveryHeap::Entry e = queue_due.Top();
      queue_due.Pop();
      DeliveryRef ref = DueDelivery(e, now);
      if (ref.delivery == nullptr || !taken.emplace(e.msg_id, e.subscription).second) continue;
      rec.attempts.push_back({e.msg_id, e.subscription, {}});
      targets.emplace_back(ref.subscription, ref.topic);
    }
    if (rec.attempts.empty()) break;
    budget -= rec.attempts.size();
    // Bring every target queue up to date first: expiring one may move messages into
    // another (dead letters), which must happen before positions are planned.
    std::vector<Queue*> queues_hit;
    for (auto [s, t] : targets) {
      Queue* q = FindQueue(t->meta.account, s->meta.spec.endpoint);
      if (q != nullptr && !plans.contains(q->meta().uid)) {
        plans[q->meta().uid] = {};
        AdvanceLive(q, now);
        queues_hit.push_back(q);
      }
    }
    for (Queue* q : queues_hit) {
      plans[q->meta().uid] = {q, q->attributes().max_msg_heap_num - q->held(), q->meta().next_pos};
    }
    int64_t placed = 0;
    for (size_t i = 0; i < rec.attempts.size(); ++i) {
      auto [s, t] = targets[i];
      Queue* q = FindQueue(t->meta.account, s->meta.spec.endpoint);
      if (q == nullptr) continue;
      QueuePlan& plan = plans[q->meta().uid];
      if (plan.room <= 0) continue;  // full: the attempt fails
      rec.attempts[i].placement = {q->meta().uid, plan.next_pos++};
      --plan.room;
      ++placed;
    }
    rec.first_queue_msg_id = next_msg_id;
    std::string payload = EncodeQueueDelivery(rec);
    uint64_t reserve = journal::kRecordOverhead + payload.size() +
                       static_cast<uint64_t>(totals.held + placed) * kDeleteRecordReserve;
    if (placed > 0 && !ReserveHeadroom(reserve).ok()) {
      // No room for the queue messages' future deletes: these attempts fail.
      for (auto& a : rec.attempts) a.placement = {};
      payload = EncodeQueueDelivery(rec);
    }
    if (!Append(kRecQueueDelivery, payload).ok()) return;
    // Built from the live state just now, so it applies; its Status speaks only of
    // records met in replay.
    (void)ApplyQueueDelivery(rec);
    for (Queue* q : queues_hit) {
      ServeWaiters(q, now);
      Reschedule(q);
    }
  }
}

void Broker::Impl::DispatchPushes(int64_t now) {
  if (!push_sink) return;
  size_t handed = 0;
  while (handed < kPushesPerCall && !http_due.empty() && http_due.Top().due <= now) {
    DeliveryHeap::Entry e = http_due.Top();
    http_due.Pop();
    DeliveryRef ref = DueDelivery(e, now);
    if (ref.delivery == nullptr) continue;
    const TopicMessage& m = *ref.message;
    PushTask task;
    if (!log->ReadAt(m.body, m.body_len, &task.body).ok()) {
      // Unreadable body: count it as a failed attempt rather than retry in a loop.
      RecordPushOutcome(e.msg_id, e.subscription, ref.delivery->attempts, false,
                        "the message's body could not be read from the log", now);
      continue;
    }
    const SubscriptionMeta& s = ref.subscription->meta;
    task.delivery_id = next_push_id++;
    task.endpoint = s.spec.endpoint;
    task.format = s.spec.content_format;
    task.topic_owner = ref.topic->meta.account;
    task.topic_name = ref.topic->meta.name;
    task.subscription_name = s.spec.name;
    task.msg_id = std::to_string(e.msg_id);
    if (m.tags) task.tags = *m.tags;
    task.publish_time = m.publish_ms / 1000;
    task.attempt = static_cast<int>(ref.delivery->attempts);
    if (ref.delivery->WaitingRetry()) --ref.subscription->waiting_retry;
    ref.delivery->push_id = task.delivery_id;
    pushes[task.delivery_id] = {e.msg_id, e.subscription};
    ready.push_back(
        [sink = push_sink, task = std::move(task)]() mutable { sink(std::move(task)); });
    ++handed;
  }
}

void Broker::Impl::RecordPushOutcome(uint64_t msg_id, uint64_t subscription, uint32_t attempt,
                                     bool delivered, std::string_view error, int64_t now) {
  PushOutcomeRecord rec{now, msg_id, subscription, attempt, delivered, {}};
  if (!delivered) rec.error = std::string(error.substr(0, kMaxPushErrorChars));
  if (!Append(kRecPushOutcome, EncodePushOutcome(rec)).ok()) {
    // Storage failed: leave the delivery pending; a restart pushes it again.
    DeliveryRef ref = FindDelivery(msg_id, subscription, now);
    if (ref.delivery != nullptr && ref.delivery->push_id != 0) {
      pushes.erase(ref.delivery->push_id);
      ref.delivery->push_id = 0;
      if (ref.delivery->WaitingRetry()) ++ref.subscription->waiting_retry;
    }
    return;
  }
  ApplyPushOutcome(rec);
}

// --- topics ----------------------------------------------------------------------------------

void Broker::CreateTopic(AccountId account, std::string_view name,
                         const TopicAttributes& attributes, Done<TopicView> done) {
  impl_->Finish(impl_->CreateTopic(account, name, attributes), std::move(done));
}

Result<TopicView> Broker::Impl::CreateTopic(AccountId account, std::string_view name,
                                            const TopicAttributes& attributes) {
  int64_t now = Now();
  if (name.empty()) return Status(ErrorCode::kTopicNameFormat);
  if (FindTopic(account, name) != nullptr) return Status(ErrorCode::kTopicExists);
  auto acc = topic_accounts.find(account);
  if (acc != topic_accounts.end() &&
      static_cast<int64_t>(acc->second.in_order.size()) >= limits.topics.max_topics_per_account) {
    return Status(ErrorCode::kTopicQuota);
  }
  CreateTopicRecord rec;
  rec.time_ms = now;
  TopicMeta& meta = rec.meta;
  meta.account = account;
  meta.uid = next_topic_uid;
  do {
    meta.topic_id = "topic-" + RandomAlnum(kIdChars);
  } while (topic_ids.contains(meta.topic_id));
  meta.name = std::string(name);
  meta.create_ms = meta.modify_ms = now;
  meta.max_msg_size = attributes.max_msg_size;
  meta.filter_type = attributes.filter_type == FilterType::kRoutingKey ? FilterType::kRoutingKey
                                                                       : FilterType::kTag;
  meta.retention_seconds = std::max(limits.topics.topic_retention_seconds, 1);
  auto loc = Append(kRecCreateTopic, EncodeCreateTopic(rec));
  if (!loc.ok()) return loc.status();
  CMQ_RETURN_IF_ERROR(ApplyCreateTopic(rec));
  return View(*TopicByUid(meta.uid));
}

Result<TopicPage> Broker::ListTopics(AccountId account, std::string_view search_word,
                                     int64_t offset, int64_t limit) const {
  std::vector<TopicRef> matches;
  auto acc = impl_->topic_accounts.find(account);
  if (acc != impl_->topic_accounts.end()) {
    for (const auto& [uid, t] : acc->second.in_order) {
      if (ContainsIgnoreCase(t->meta.name, search_word)) {
        matches.push_back({t->meta.topic_id, t->meta.name});
      }
    }
  }
  TopicPage page;
  page.total_count = static_cast<int64_t>(matches.size());
  page.topics = PageOf(matches, offset, limit);
  return page;
}

Result<TopicView> Broker::GetTopic(AccountId account, std::string_view name) const {
  const Topic* t = impl_->FindTopic(account, name);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  return impl_->View(*t);
}

void Broker::SetTopicAttributes(AccountId account, std::string_view name,
                                std::optional<int> max_msg_size, Done<> done) {
  impl_->Finish(impl_->SetTopicAttributes(account, name, max_msg_size), std::move(done));
}

Status Broker::Impl::SetTopicAttributes(AccountId account, std::string_view name,
                                        std::optional<int> max_msg_size) {
  Topic* t = FindTopic(account, name);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  if (!max_msg_size) return Status::Ok();
  SetTopicRecord rec{t->meta.uid, Now(), *max_msg_size};
  auto loc = Append(kRecSetTopic, EncodeSetTopic(rec));
  if (!loc.ok()) return loc.status();
  ApplySetTopic(rec);
  return Status::Ok();
}

void Broker::DeleteTopic(AccountId account, std::string_view name, Done<> done) {
  impl_->Finish(impl_->DeleteTopic(account, name), std::move(done));
}

Status Broker::Impl::DeleteTopic(AccountId account, std::string_view name) {
  Topic* t = FindTopic(account, name);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  if (!t->subscriptions.empty()) return Status(ErrorCode::kTopicHasSubscriptions);
  DeleteTopicRecord rec{t->meta.uid, Now()};
  auto loc = Append(kRecDeleteTopic, EncodeDeleteTopic(rec));
  if (!loc.ok()) return loc.status();
  ApplyDeleteTopic(rec);
  return Status::Ok();
}

// --- publish ---------------------------------------------------------------------------------

void Broker::PublishMessages(AccountId account, std::string_view topic,
                             const std::vector<std::string_view>& bodies,
                             const std::vector<std::string>& tags,
                             std::optional<std::string_view> routing_key,
                             Done<std::vector<std::string>> done) {
  impl_->Finish(impl_->PublishMessages(account, topic, bodies, tags, routing_key), std::move(done));
}

Result<std::vector<std::string>> Broker::Impl::PublishMessages(
    AccountId account, std::string_view topic, const std::vector<std::string_view>& bodies,
    const std::vector<std::string>& tags, std::optional<std::string_view> routing_key) {
  Topic* t = FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  if (bodies.empty() || bodies.size() > kMaxPublishBodies) {
    return Status(ErrorCode::kBatchSizeOutOfRange, "msgBody");
  }
  uint64_t total = 0;
  for (auto body : bodies) {
    if (body.empty()) return Status(ErrorCode::kEmptyBody);
    if (body.size() > static_cast<uint64_t>(std::max(t->meta.max_msg_size, 0))) {
      return Status(ErrorCode::kMsgTooLarge);
    }
    total += body.size();
  }
  if (total > static_cast<uint64_t>(limits.max_batch_body_bytes)) {
    return Status(ErrorCode::kBatchTooLarge);
  }
  if (t->meta.filter_type == FilterType::kRoutingKey && !routing_key) {
    return Status(ErrorCode::kLackRoutingKey);
  }
  int64_t now = Now();
  if (!t->throttle.TryAcquire(now, limits.topics.publish_qps_per_topic)) {
    return Status(ErrorCode::kQpsThrottling);
  }
  if (t->subscriptions.empty()) return Status(ErrorCode::kTopicNoSubscription);
  PublishRecord rec;
  for (const auto& [uid, s] : t->subscriptions) {
    if (Accepts(*t, *s, tags, routing_key)) rec.subscriptions.push_back(uid);
  }
  if (rec.subscriptions.empty()) return Status(ErrorCode::kNoSubscriptionMatches);

  // First attempts at queue endpoints, made with the publish: placed now, or failed
  // (queue missing or full) and retried later. Target queues are brought up to date
  // first (see RunQueueDeliveries).
  std::map<uint64_t, QueuePlan> plans;
  std::vector<Queue*> queues_hit;
  std::vector<Queue*> endpoint(rec.subscriptions.size(), nullptr);
  for (size_t k = 0; k < rec.subscriptions.size(); ++k) {
    const Subscription& s = *t->subscriptions.at(rec.subscriptions[k]);
    if (s.meta.spec.protocol != Protocol::kQueue) continue;
    Queue* q = FindQueue(account, s.meta.spec.endpoint);
    endpoint[k] = q;
    if (q != nullptr && !plans.contains(q->meta().uid)) {
      plans[q->meta().uid] = {};
      AdvanceLive(q, now);
      queues_hit.push_back(q);
    }
  }
  for (Queue* q : queues_hit) {
    plans[q->meta().uid] = {q, q->attributes().max_msg_heap_num - q->held(), q->meta().next_pos};
  }
  for (uint32_t i = 0; i < bodies.size(); ++i) {
    for (size_t k = 0; k < rec.subscriptions.size(); ++k) {
      if (endpoint[k] == nullptr) continue;
      QueuePlan& plan = plans[endpoint[k]->meta().uid];
      if (plan.room <= 0) continue;
      rec.enqueued.push_back({i, rec.subscriptions[k], {endpoint[k]->meta().uid, plan.next_pos++}});
      --plan.room;
    }
  }
  rec.topic_uid = t->meta.uid;
  rec.time_ms = now;
  rec.first_msg_id = next_msg_id;
  rec.tags = tags;
  for (auto body : bodies) rec.lengths.push_back(static_cast<uint32_t>(body.size()));
  std::string header = EncodePublishHeader(rec);
  uint64_t record_bytes = journal::kRecordOverhead + header.size() + total;
  uint64_t reserve = record_bytes + static_cast<uint64_t>(
                                        totals.held + static_cast<int64_t>(rec.enqueued.size())) *
                                        kDeleteRecordReserve;
  CMQ_RETURN_IF_ERROR(ReserveHeadroom(reserve));  // kDiskFull, or what else failed
  std::vector<std::string_view> parts;
  parts.reserve(bodies.size() + 1);
  parts.push_back(header);
  parts.insert(parts.end(), bodies.begin(), bodies.end());
  auto loc = Append(kRecPublish, parts);
  if (!loc.ok()) return loc.status();
  CMQ_RETURN_IF_ERROR(ApplyPublish(rec, *loc + header.size()));
  for (Queue* q : queues_hit) {
    ServeWaiters(q, now);
    Reschedule(q);
  }
  DispatchPushes(now);
  std::vector<std::string> ids;
  ids.reserve(bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) ids.push_back(std::to_string(rec.first_msg_id + i));
  return ids;
}

// --- subscriptions ---------------------------------------------------------------------------

void Broker::Subscribe(AccountId account, std::string_view topic, const SubscriptionSpec& spec,
                       Done<SubscriptionView> done) {
  impl_->Finish(impl_->Subscribe(account, topic, spec), std::move(done));
}

Result<SubscriptionView> Broker::Impl::Subscribe(AccountId account, std::string_view topic,
                                                 const SubscriptionSpec& spec) {
  Topic* t = FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  int64_t now = Now();
  if (spec.name.empty()) return Status(ErrorCode::kSubscriptionNameFormat);
  if (FindSubscription(*t, spec.name) != nullptr) return Status(ErrorCode::kSubscriptionExists);
  if (static_cast<int64_t>(t->subscriptions.size()) >= limits.topics.max_subscriptions_per_topic) {
    return Status(ErrorCode::kSubscriptionQuota);
  }
  SubscribeRecord rec;
  rec.time_ms = now;
  SubscriptionMeta& meta = rec.meta;
  meta.spec = spec;
  if (spec.protocol == Protocol::kQueue) {
    // Section 14 item 65: the queue must exist now; deleting it later only makes
    // deliveries fail and retry.
    if (FindQueue(account, spec.endpoint) == nullptr) return Status(ErrorCode::kIllegalEndpoint);
    meta.spec.content_format = ContentFormat::kSimplified;  // item 48
  }
  if (t->meta.filter_type == FilterType::kRoutingKey && spec.binding_keys.empty()) {
    return Status(ErrorCode::kLackBindingKey);
  }
  meta.topic_uid = t->meta.uid;
  meta.uid = next_subscription_uid;
  do {
    meta.subscription_id = "subsc-" + RandomAlnum(kIdChars);
  } while (subscription_ids.contains(meta.subscription_id));
  meta.create_ms = meta.modify_ms = now;
  auto loc = Append(kRecSubscribe, EncodeSubscribe(rec));
  if (!loc.ok()) return loc.status();
  CMQ_RETURN_IF_ERROR(ApplySubscribe(rec));
  return View(*SubscriptionByUid(meta.uid));
}

Result<SubscriptionPage> Broker::ListSubscriptions(AccountId account, std::string_view topic,
                                                   std::string_view search_word, int64_t offset,
                                                   int64_t limit) const {
  const Topic* t = impl_->FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  std::vector<const Subscription*> matches;
  for (const auto& [uid, s] : t->subscriptions) {
    if (ContainsIgnoreCase(s->meta.spec.name, search_word)) matches.push_back(s);
  }
  SubscriptionPage page;
  page.total_count = static_cast<int64_t>(matches.size());
  for (const Subscription* s : PageOf(matches, offset, limit)) {
    page.subscriptions.push_back(impl_->View(*s));
  }
  return page;
}

Result<SubscriptionView> Broker::GetSubscription(AccountId account, std::string_view topic,
                                                 std::string_view name) const {
  const Topic* t = impl_->FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  const Subscription* s = impl_->FindSubscription(*t, name);
  if (s == nullptr) return Status(ErrorCode::kSubscriptionNotExist);
  SubscriptionView v = impl_->View(*s);
  for (const auto& [id, message] : t->messages) {
    for (const Delivery& d : message.deliveries) {
      if (d.subscription == s->meta.uid && d.attempts > 0) ++v.retry_backlog;
    }
  }
  return v;
}

void Broker::SetSubscriptionAttributes(AccountId account, std::string_view topic,
                                       std::string_view name, const SubscriptionUpdate& update,
                                       Done<> done) {
  impl_->Finish(impl_->SetSubscriptionAttributes(account, topic, name, update), std::move(done));
}

Status Broker::Impl::SetSubscriptionAttributes(AccountId account, std::string_view topic,
                                               std::string_view name,
                                               const SubscriptionUpdate& update) {
  Topic* t = FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  Subscription* s = FindSubscription(*t, name);
  if (s == nullptr) return Status(ErrorCode::kSubscriptionNotExist);
  const SubscriptionSpec& spec = s->meta.spec;
  SetSubscriptionRecord rec;
  rec.uid = s->meta.uid;
  rec.time_ms = Now();
  rec.notify_strategy = update.notify_strategy.value_or(spec.notify_strategy);
  rec.content_format = spec.protocol == Protocol::kQueue
                           ? ContentFormat::kSimplified
                           : update.content_format.value_or(spec.content_format);
  rec.filter_tags = update.filter_tags.value_or(spec.filter_tags);
  rec.binding_keys = update.binding_keys.value_or(spec.binding_keys);
  auto loc = Append(kRecSetSubscription, EncodeSetSubscription(rec));
  if (!loc.ok()) return loc.status();
  ApplySetSubscription(rec);
  return Status::Ok();
}

void Broker::Unsubscribe(AccountId account, std::string_view topic, std::string_view name,
                         Done<> done) {
  impl_->Finish(impl_->Unsubscribe(account, topic, name), std::move(done));
}

Status Broker::Impl::Unsubscribe(AccountId account, std::string_view topic, std::string_view name) {
  Topic* t = FindTopic(account, topic);
  if (t == nullptr) return Status(ErrorCode::kTopicNotExist);
  Subscription* s = FindSubscription(*t, name);
  if (s == nullptr) return Status(ErrorCode::kSubscriptionNotExist);
  UnsubscribeRecord rec{s->meta.uid, Now()};
  auto loc = Append(kRecUnsubscribe, EncodeUnsubscribe(rec));
  if (!loc.ok()) return loc.status();
  ApplyUnsubscribe(rec);
  PruneDeliveryHeaps(rec.time_ms);
  return Status::Ok();
}

void Broker::ClearSubscriptionFilterTags(AccountId account, std::string_view topic,
                                         std::string_view name, Done<> done) {
  SubscriptionUpdate update;
  update.filter_tags.emplace();
  SetSubscriptionAttributes(account, topic, name, update, std::move(done));
}

// --- HTTP push -------------------------------------------------------------------------------

void Broker::SetPushSink(std::function<void(PushTask)> sink) { impl_->push_sink = std::move(sink); }

void Broker::CompletePush(uint64_t delivery_id, bool delivered, std::string_view error) {
  Impl& m = *impl_;
  OnExit run_ready([&m] { m.RunReady(); });
  auto it = m.pushes.find(delivery_id);
  if (it == m.pushes.end()) return;
  Impl::InFlightPush push = it->second;
  int64_t now = m.Now();
  Impl::DeliveryRef ref = m.FindDelivery(push.msg_id, push.subscription, now);
  if (ref.delivery == nullptr || ref.delivery->push_id != delivery_id) {
    m.pushes.erase(delivery_id);
    return;
  }
  m.RecordPushOutcome(push.msg_id, push.subscription, ref.delivery->attempts, delivered,
                      error.empty() ? std::string_view("no reason given") : error, now);
  m.PruneDeliveryHeaps(now);
}

}  // namespace cmq::broker
