#include "broker/topic_records.h"

#include "broker/record_coding.h"

namespace cmq::broker {
namespace {

using Reader = RecordReader;

void PutPlacement(std::string* out, const QueuePlacement& p) {
  PutVarint64(out, p.queue_uid);
  if (p.queue_uid != 0) PutVarint64(out, p.pos);
}

bool GetPlacement(Reader* r, QueuePlacement* p) {
  if (!r->U64(&p->queue_uid)) return false;
  p->pos = 0;
  return p->queue_uid == 0 || r->U64(&p->pos);
}

template <typename E>
bool GetEnum(Reader* r, uint64_t limit, E* e) {
  uint64_t v;
  if (!r->Enum(limit, &v)) return false;
  *e = static_cast<E>(v);
  return true;
}

}  // namespace

void PutTopicMeta(std::string* out, const TopicMeta& m) {
  PutVarint64(out, m.account);
  PutVarint64(out, m.uid);
  PutLengthPrefixed(out, m.topic_id);
  PutLengthPrefixed(out, m.name);
  PutI64(out, m.create_ms);
  PutI64(out, m.modify_ms);
  PutI64(out, m.max_msg_size);
  PutVarint64(out, static_cast<uint64_t>(m.filter_type));
  PutI64(out, m.retention_seconds);
}

bool GetTopicMeta(Reader* r, TopicMeta* m) {
  uint64_t filter = 0;
  if (!(r->U64(&m->account) && r->U64(&m->uid) && r->Str(&m->topic_id) && r->Str(&m->name) &&
        r->I64(&m->create_ms) && r->I64(&m->modify_ms) && r->Int(&m->max_msg_size) &&
        r->Enum(2, &filter) && filter >= 1 && r->Int(&m->retention_seconds))) {
    return false;
  }
  m->filter_type = static_cast<FilterType>(filter);
  return true;
}

void PutSubscriptionMeta(std::string* out, const SubscriptionMeta& m) {
  PutVarint64(out, m.topic_uid);
  PutVarint64(out, m.uid);
  PutLengthPrefixed(out, m.subscription_id);
  PutI64(out, m.create_ms);
  PutI64(out, m.modify_ms);
  const SubscriptionSpec& s = m.spec;
  PutLengthPrefixed(out, s.name);
  PutVarint64(out, static_cast<uint64_t>(s.protocol));
  PutLengthPrefixed(out, s.endpoint);
  PutVarint64(out, static_cast<uint64_t>(s.notify_strategy));
  PutVarint64(out, static_cast<uint64_t>(s.content_format));
  PutStrings(out, s.filter_tags);
  PutStrings(out, s.binding_keys);
}

bool GetSubscriptionMeta(Reader* r, SubscriptionMeta* m) {
  SubscriptionSpec& s = m->spec;
  return r->U64(&m->topic_uid) && r->U64(&m->uid) && r->Str(&m->subscription_id) &&
         r->I64(&m->create_ms) && r->I64(&m->modify_ms) && r->Str(&s.name) &&
         GetEnum(r, 1, &s.protocol) && r->Str(&s.endpoint) && GetEnum(r, 1, &s.notify_strategy) &&
         GetEnum(r, 1, &s.content_format) && r->Strings(&s.filter_tags) &&
         r->Strings(&s.binding_keys);
}

std::string EncodeCreateTopic(const CreateTopicRecord& r) {
  std::string out;
  PutI64(&out, r.time_ms);
  PutTopicMeta(&out, r.meta);
  return out;
}

bool DecodeCreateTopic(std::string_view in, CreateTopicRecord* r) {
  Reader d(in);
  return d.I64(&r->time_ms) && GetTopicMeta(&d, &r->meta) && d.done();
}

std::string EncodeSetTopic(const SetTopicRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutI64(&out, r.max_msg_size);
  return out;
}

bool DecodeSetTopic(std::string_view in, SetTopicRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.Int(&r->max_msg_size) && d.done();
}

std::string EncodeDeleteTopic(const DeleteTopicRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  return out;
}

bool DecodeDeleteTopic(std::string_view in, DeleteTopicRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.done();
}

std::string EncodeSubscribe(const SubscribeRecord& r) {
  std::string out;
  PutI64(&out, r.time_ms);
  PutSubscriptionMeta(&out, r.meta);
  return out;
}

bool DecodeSubscribe(std::string_view in, SubscribeRecord* r) {
  Reader d(in);
  return d.I64(&r->time_ms) && GetSubscriptionMeta(&d, &r->meta) && d.done();
}

std::string EncodeSetSubscription(const SetSubscriptionRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, static_cast<uint64_t>(r.notify_strategy));
  PutVarint64(&out, static_cast<uint64_t>(r.content_format));
  PutStrings(&out, r.filter_tags);
  PutStrings(&out, r.binding_keys);
  return out;
}

bool DecodeSetSubscription(std::string_view in, SetSubscriptionRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && GetEnum(&d, 1, &r->notify_strategy) &&
         GetEnum(&d, 1, &r->content_format) && d.Strings(&r->filter_tags) &&
         d.Strings(&r->binding_keys) && d.done();
}

std::string EncodeUnsubscribe(const UnsubscribeRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  return out;
}

bool DecodeUnsubscribe(std::string_view in, UnsubscribeRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.done();
}

std::string EncodePublishHeader(const PublishRecord& r) {
  std::string out;
  PutVarint64(&out, r.topic_uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.first_msg_id);
  PutStrings(&out, r.tags);
  PutVarint64(&out, r.subscriptions.size());
  for (uint64_t uid : r.subscriptions) PutVarint64(&out, uid);
  PutVarint64(&out, r.enqueued.size());
  for (const auto& e : r.enqueued) {
    PutVarint64(&out, e.message);
    PutVarint64(&out, e.subscription);
    PutPlacement(&out, e.placement);
  }
  PutVarint64(&out, r.lengths.size());
  for (uint32_t len : r.lengths) PutVarint64(&out, len);
  return out;
}

bool DecodePublish(std::string_view in, PublishRecord* r, size_t* header_size) {
  Reader d(in);
  uint64_t n;
  if (!(d.U64(&r->topic_uid) && d.I64(&r->time_ms) && d.U64(&r->first_msg_id) &&
        d.Strings(&r->tags) && d.Count(&n))) {
    return false;
  }
  r->subscriptions.resize(n);
  for (auto& uid : r->subscriptions) {
    if (!d.U64(&uid)) return false;
  }
  if (!d.Count(&n)) return false;
  r->enqueued.resize(n);
  for (auto& e : r->enqueued) {
    if (!(d.U32(&e.message) && d.U64(&e.subscription) && GetPlacement(&d, &e.placement))) {
      return false;
    }
  }
  if (!d.Count(&n)) return false;
  r->lengths.resize(n);
  uint64_t total = 0;
  for (auto& len : r->lengths) {
    if (!d.U32(&len)) return false;
    total += len;
  }
  for (const auto& e : r->enqueued) {
    if (e.message >= r->lengths.size()) return false;
  }
  *header_size = d.consumed();
  return total == in.size() - *header_size;
}

std::string EncodeQueueDelivery(const QueueDeliveryRecord& r) {
  std::string out;
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.first_queue_msg_id);
  PutVarint64(&out, r.attempts.size());
  for (const auto& a : r.attempts) {
    PutVarint64(&out, a.msg_id);
    PutVarint64(&out, a.subscription);
    PutPlacement(&out, a.placement);
  }
  return out;
}

bool DecodeQueueDelivery(std::string_view in, QueueDeliveryRecord* r) {
  Reader d(in);
  uint64_t n;
  if (!(d.I64(&r->time_ms) && d.U64(&r->first_queue_msg_id) && d.Count(&n))) return false;
  r->attempts.resize(n);
  for (auto& a : r->attempts) {
    if (!(d.U64(&a.msg_id) && d.U64(&a.subscription) && GetPlacement(&d, &a.placement))) {
      return false;
    }
  }
  return d.done();
}

std::string EncodePushOutcome(const PushOutcomeRecord& r) {
  std::string out;
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.msg_id);
  PutVarint64(&out, r.subscription);
  PutVarint64(&out, r.attempt);
  PutVarint64(&out, r.delivered ? 1 : 0);
  if (!r.error.empty()) PutLengthPrefixed(&out, r.error);
  return out;
}

bool DecodePushOutcome(std::string_view in, PushOutcomeRecord* r) {
  Reader d(in);
  uint64_t delivered = 0;
  if (!(d.I64(&r->time_ms) && d.U64(&r->msg_id) && d.U64(&r->subscription) && d.U32(&r->attempt) &&
        d.Enum(1, &delivered))) {
    return false;
  }
  r->delivered = delivered == 1;
  r->error.clear();
  if (d.done()) return true;  // a success, or written before failures said why
  return d.Str(&r->error) && !r->error.empty() && d.done();
}

std::string EncodeTopicRelocateHeader(const TopicRelocateRecord& r) {
  std::string out;
  PutVarint64(&out, r.topic_uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.msg_id);
  PutI64(&out, r.publish_ms);
  PutStrings(&out, r.tags);
  PutVarint64(&out, r.deliveries.size());
  for (const auto& d : r.deliveries) {
    PutVarint64(&out, d.subscription);
    PutI64(&out, d.next_ms);
    PutVarint64(&out, d.attempts);
  }
  return out;
}

bool DecodeTopicRelocate(std::string_view in, TopicRelocateRecord* r, size_t* header_size) {
  Reader d(in);
  uint64_t n = 0;
  if (!(d.U64(&r->topic_uid) && d.I64(&r->time_ms) && d.U64(&r->msg_id) && d.I64(&r->publish_ms) &&
        d.Strings(&r->tags) && d.Count(&n))) {
    return false;
  }
  r->deliveries.resize(n);
  for (auto& p : r->deliveries) {
    if (!(d.U64(&p.subscription) && d.I64(&p.next_ms) && d.U32(&p.attempts))) return false;
  }
  *header_size = d.consumed();
  return true;
}

}  // namespace cmq::broker
