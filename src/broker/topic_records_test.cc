// Topic record encoding: round trips, old snapshot versions, malformed input rejected.
#include "broker/topic_records.h"

#include <gtest/gtest.h>

#include <functional>

#include "broker/records.h"
#include "common/coding.h"

namespace cmq::broker {
namespace {

TopicMeta SampleTopic() {
  TopicMeta m;
  m.account = 1251000001;
  m.uid = 3;
  m.topic_id = "topic-abcdefghij";
  m.name = "Orders";
  m.create_ms = 1700000000123;
  m.modify_ms = 1700000001123;
  m.max_msg_size = 2048;
  m.filter_type = FilterType::kRoutingKey;
  m.retention_seconds = 600;
  return m;
}

SubscriptionMeta SampleSubscription() {
  SubscriptionMeta m;
  m.topic_uid = 3;
  m.uid = 9;
  m.subscription_id = "subsc-0123456789";
  m.create_ms = 1700000002000;
  m.modify_ms = 1700000003000;
  m.spec.name = "sub";
  m.spec.protocol = Protocol::kQueue;
  m.spec.endpoint = "target";
  m.spec.notify_strategy = NotifyStrategy::kBackoffRetry;
  m.spec.content_format = ContentFormat::kSimplified;
  m.spec.filter_tags = {"a", "b"};
  m.spec.binding_keys = {"x.*", "#", ""};
  return m;
}

void ExpectSame(const TopicMeta& a, const TopicMeta& b) {
  EXPECT_EQ(a.account, b.account);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.topic_id, b.topic_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.create_ms, b.create_ms);
  EXPECT_EQ(a.modify_ms, b.modify_ms);
  EXPECT_EQ(a.max_msg_size, b.max_msg_size);
  EXPECT_EQ(a.filter_type, b.filter_type);
  EXPECT_EQ(a.retention_seconds, b.retention_seconds);
}

void ExpectSame(const SubscriptionMeta& a, const SubscriptionMeta& b) {
  EXPECT_EQ(a.topic_uid, b.topic_uid);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.subscription_id, b.subscription_id);
  EXPECT_EQ(a.create_ms, b.create_ms);
  EXPECT_EQ(a.modify_ms, b.modify_ms);
  EXPECT_EQ(a.spec.name, b.spec.name);
  EXPECT_EQ(a.spec.protocol, b.spec.protocol);
  EXPECT_EQ(a.spec.endpoint, b.spec.endpoint);
  EXPECT_EQ(a.spec.notify_strategy, b.spec.notify_strategy);
  EXPECT_EQ(a.spec.content_format, b.spec.content_format);
  EXPECT_EQ(a.spec.filter_tags, b.spec.filter_tags);
  EXPECT_EQ(a.spec.binding_keys, b.spec.binding_keys);
}

PublishRecord SamplePublish() {
  PublishRecord p;
  p.topic_uid = 3;
  p.time_ms = 1700000004000;
  p.first_msg_id = 500;
  p.tags = {"t1", "t2"};
  p.subscriptions = {9, 10, 12};
  p.enqueued = {{0, 9, {4, 17}}, {1, 9, {4, 18}}};
  p.lengths = {3, 5};
  return p;
}

TEST(TopicRecordsTest, MetadataRecordsRoundTrip) {
  CreateTopicRecord ct{1700000000000, SampleTopic()}, ct2;
  ASSERT_TRUE(DecodeCreateTopic(EncodeCreateTopic(ct), &ct2));
  EXPECT_EQ(ct2.time_ms, ct.time_ms);
  ExpectSame(ct2.meta, ct.meta);

  SetTopicRecord st{3, 1700000000001, 4096}, st2;
  ASSERT_TRUE(DecodeSetTopic(EncodeSetTopic(st), &st2));
  EXPECT_EQ(st2.uid, 3u);
  EXPECT_EQ(st2.max_msg_size, 4096);

  DeleteTopicRecord dt{3, 1700000000002}, dt2;
  ASSERT_TRUE(DecodeDeleteTopic(EncodeDeleteTopic(dt), &dt2));
  EXPECT_EQ(dt2.time_ms, dt.time_ms);

  SubscribeRecord sr{1700000000003, SampleSubscription()}, sr2;
  ASSERT_TRUE(DecodeSubscribe(EncodeSubscribe(sr), &sr2));
  ExpectSame(sr2.meta, sr.meta);

  SetSubscriptionRecord ss{
      9, 1700000000004, NotifyStrategy::kExponentialDecayRetry, ContentFormat::kJson, {"z"}, {}};
  SetSubscriptionRecord ss2;
  ASSERT_TRUE(DecodeSetSubscription(EncodeSetSubscription(ss), &ss2));
  EXPECT_EQ(ss2.notify_strategy, NotifyStrategy::kExponentialDecayRetry);
  EXPECT_EQ(ss2.content_format, ContentFormat::kJson);
  EXPECT_EQ(ss2.filter_tags, std::vector<std::string>{"z"});
  EXPECT_TRUE(ss2.binding_keys.empty());

  UnsubscribeRecord us{9, 1700000000005}, us2;
  ASSERT_TRUE(DecodeUnsubscribe(EncodeUnsubscribe(us), &us2));
  EXPECT_EQ(us2.uid, 9u);
}

TEST(TopicRecordsTest, DeliveryRecordsRoundTrip) {
  PublishRecord p = SamplePublish();
  std::string enc = EncodePublishHeader(p);
  size_t header = enc.size();
  enc += "abc";
  enc += "defgh";
  PublishRecord p2;
  size_t h2 = 0;
  ASSERT_TRUE(DecodePublish(enc, &p2, &h2));
  EXPECT_EQ(h2, header);
  EXPECT_EQ(p2.topic_uid, 3u);
  EXPECT_EQ(p2.first_msg_id, 500u);
  EXPECT_EQ(p2.tags, p.tags);
  EXPECT_EQ(p2.subscriptions, p.subscriptions);
  ASSERT_EQ(p2.enqueued.size(), 2u);
  EXPECT_EQ(p2.enqueued[1].message, 1u);
  EXPECT_EQ(p2.enqueued[1].subscription, 9u);
  EXPECT_EQ(p2.enqueued[1].placement.queue_uid, 4u);
  EXPECT_EQ(p2.enqueued[1].placement.pos, 18u);
  EXPECT_EQ(p2.lengths, p.lengths);
  // Bodies must fill the rest exactly, and placements must name a body of the batch.
  EXPECT_FALSE(DecodePublish(enc + "x", &p2, &h2));
  PublishRecord bad = p;
  bad.enqueued[0].message = 2;
  EXPECT_FALSE(DecodePublish(EncodePublishHeader(bad) + "abcdefgh", &p2, &h2));

  QueueDeliveryRecord q{1700000000006, 77, {{500, 9, {}}, {501, 9, {4, 19}}}}, q2;
  ASSERT_TRUE(DecodeQueueDelivery(EncodeQueueDelivery(q), &q2));
  EXPECT_EQ(q2.first_queue_msg_id, 77u);
  ASSERT_EQ(q2.attempts.size(), 2u);
  EXPECT_EQ(q2.attempts[0].placement.queue_uid, 0u);
  EXPECT_EQ(q2.attempts[1].msg_id, 501u);
  EXPECT_EQ(q2.attempts[1].placement.pos, 19u);

  PushOutcomeRecord o{1700000000007, 500, 12, 4, true, ""}, o2;
  ASSERT_TRUE(DecodePushOutcome(EncodePushOutcome(o), &o2));
  EXPECT_EQ(o2.msg_id, 500u);
  EXPECT_EQ(o2.subscription, 12u);
  EXPECT_EQ(o2.attempt, 4u);
  EXPECT_TRUE(o2.delivered);
  EXPECT_EQ(o2.error, "");
  // A failure carries its reason; one written before failures did decodes without.
  PushOutcomeRecord failed{1700000000007, 500, 12, 4, false, "HTTP 503"}, failed2;
  ASSERT_TRUE(DecodePushOutcome(EncodePushOutcome(failed), &failed2));
  EXPECT_FALSE(failed2.delivered);
  EXPECT_EQ(failed2.error, "HTTP 503");
  failed.error.clear();
  ASSERT_TRUE(DecodePushOutcome(EncodePushOutcome(failed), &failed2));
  EXPECT_EQ(failed2.error, "");
  // An empty reason is never written, so a tail that says "" is damage.
  EXPECT_FALSE(DecodePushOutcome(EncodePushOutcome(failed) + std::string(1, '\0'), &failed2));

  TopicRelocateRecord t{3, 1700000000008, 500, 1700000000001, {"a", "b"}, {{12, 1700000001000, 2}}};
  TopicRelocateRecord t2;
  size_t t_header = 0;
  std::string t_payload = EncodeTopicRelocateHeader(t) + "body";
  ASSERT_TRUE(DecodeTopicRelocate(t_payload, &t2, &t_header));
  EXPECT_EQ(t_payload.substr(t_header), "body");
  EXPECT_EQ(t2.topic_uid, 3u);
  EXPECT_EQ(t2.time_ms, 1700000000008);
  EXPECT_EQ(t2.msg_id, 500u);
  EXPECT_EQ(t2.publish_ms, 1700000000001);
  EXPECT_EQ(t2.tags, t.tags);
  ASSERT_EQ(t2.deliveries.size(), 1u);
  EXPECT_EQ(t2.deliveries[0].subscription, 12u);
  EXPECT_EQ(t2.deliveries[0].next_ms, 1700000001000);
  EXPECT_EQ(t2.deliveries[0].attempts, 2u);
}

TEST(TopicRecordsTest, SnapshotCarriesTopicsAndReadsVersionOne) {
  SnapshotRecord s;
  s.next_msg_id = 600;
  s.next_topic_uid = 4;
  s.next_subscription_uid = 10;
  s.topics.push_back(SampleTopic());
  s.subscriptions.push_back(SampleSubscription());
  SnapshotRecord d;
  ASSERT_TRUE(DecodeSnapshot(EncodeSnapshot(s), &d));
  EXPECT_EQ(d.version, 2u);
  EXPECT_EQ(d.next_topic_uid, 4u);
  EXPECT_EQ(d.next_subscription_uid, 10u);
  ASSERT_EQ(d.topics.size(), 1u);
  ExpectSame(d.topics[0], s.topics[0]);
  ASSERT_EQ(d.subscriptions.size(), 1u);
  ExpectSame(d.subscriptions[0], s.subscriptions[0]);

  // Version 1 (before topics): version, msg id, queue uid, now, queues.
  std::string v1;
  PutVarint64(&v1, 1);
  PutVarint64(&v1, 42);
  PutVarint64(&v1, 5);
  PutVarint64(&v1, 1700000000000);
  PutVarint64(&v1, 0);
  SnapshotRecord old;
  ASSERT_TRUE(DecodeSnapshot(v1, &old));
  EXPECT_EQ(old.version, 1u);
  EXPECT_EQ(old.next_msg_id, 42u);
  EXPECT_TRUE(old.topics.empty());
  EXPECT_EQ(old.next_topic_uid, 1u);
  // Version 1 with version 2's tail is malformed.
  EXPECT_FALSE(DecodeSnapshot(v1 + std::string("\x04\x0a\x00\x00", 4), &old));
}

TEST(TopicRecordsTest, TruncatedInputIsRejected) {
  SnapshotRecord s;
  s.topics.push_back(SampleTopic());
  s.subscriptions.push_back(SampleSubscription());
  PublishRecord p = SamplePublish();
  p.lengths = {};
  p.enqueued = {};
  struct Case {
    std::string encoded;
    std::function<bool(std::string_view)> decode;
  };
  std::vector<Case> cases = {
      {EncodeSnapshot(s),
       [](std::string_view in) {
         SnapshotRecord r;
         return DecodeSnapshot(in, &r);
       }},
      {EncodeCreateTopic({1, SampleTopic()}),
       [](std::string_view in) {
         CreateTopicRecord r;
         return DecodeCreateTopic(in, &r);
       }},
      {EncodeSetTopic({1, 2, 3}),
       [](std::string_view in) {
         SetTopicRecord r;
         return DecodeSetTopic(in, &r);
       }},
      {EncodeSubscribe({1, SampleSubscription()}),
       [](std::string_view in) {
         SubscribeRecord r;
         return DecodeSubscribe(in, &r);
       }},
      {EncodeSetSubscription(
           {1, 2, NotifyStrategy::kBackoffRetry, ContentFormat::kJson, {"a"}, {"b"}}),
       [](std::string_view in) {
         SetSubscriptionRecord r;
         return DecodeSetSubscription(in, &r);
       }},
      {EncodePublishHeader(p),
       [](std::string_view in) {
         PublishRecord r;
         size_t h;
         return DecodePublish(in, &r, &h);
       }},
      {EncodeQueueDelivery({1, 2, {{3, 4, {5, 6}}}}),
       [](std::string_view in) {
         QueueDeliveryRecord r;
         return DecodeQueueDelivery(in, &r);
       }},
      {EncodePushOutcome({1, 2, 3, 4, false, ""}),
       [](std::string_view in) {
         PushOutcomeRecord r;
         return DecodePushOutcome(in, &r);
       }},
      {EncodeTopicRelocateHeader({1, 2, 3, 4, {"t"}, {{5, 6, 7}, {8, 9, 10}}}),
       [](std::string_view in) {
         TopicRelocateRecord r;
         size_t h;
         return DecodeTopicRelocate(in, &r, &h);
       }},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    ASSERT_TRUE(cases[k].decode(cases[k].encoded)) << k;
    for (size_t n = 0; n < cases[k].encoded.size(); ++n) {
      EXPECT_FALSE(cases[k].decode(std::string_view(cases[k].encoded).substr(0, n)))
          << "record " << k << " cut at " << n;
    }
  }
  // Out-of-range enumerations are refused.
  TopicMeta t = SampleTopic();
  std::string enc = EncodeCreateTopic({1, t});
  t.filter_type = static_cast<FilterType>(3);
  CreateTopicRecord r;
  EXPECT_FALSE(DecodeCreateTopic(EncodeCreateTopic({1, t}), &r));
  PushOutcomeRecord o;
  std::string outcome = EncodePushOutcome({1, 2, 3, 4, false, ""});
  outcome.back() = 2;
  EXPECT_FALSE(DecodePushOutcome(outcome, &o));
}

}  // namespace
}  // namespace cmq::broker
