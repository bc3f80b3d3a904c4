// Record encoding: round trips, and malformed input rejected without crashing.
#include "broker/records.h"

#include <gtest/gtest.h>

namespace cmq::broker {
namespace {

QueueMeta SampleMeta() {
  QueueMeta m;
  m.account = 1251000001;
  m.uid = 7;
  m.queue_id = "queue-abcdefghij";
  m.name = "Orders";
  m.handle_key = std::string("\x01\x02\x00\xff", 4) + "0123456789ab";
  m.create_ms = 1700000000123;
  m.modify_ms = 1700000005123;
  m.attributes.max_msg_heap_num = 5000000;
  m.attributes.visibility_timeout = 45;
  m.attributes.rewind_seconds = 100;
  DeadLetterPolicy p;
  p.queue_name = "dlq";
  p.policy = 1;
  p.max_time_to_live = 400;
  m.attributes.dead_letter_policy = p;
  m.next_pos = 12345;
  return m;
}

void ExpectSameMeta(const QueueMeta& a, const QueueMeta& b) {
  EXPECT_EQ(a.account, b.account);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.queue_id, b.queue_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.handle_key, b.handle_key);
  EXPECT_EQ(a.create_ms, b.create_ms);
  EXPECT_EQ(a.modify_ms, b.modify_ms);
  EXPECT_EQ(a.next_pos, b.next_pos);
  EXPECT_EQ(a.attributes.max_msg_heap_num, b.attributes.max_msg_heap_num);
  EXPECT_EQ(a.attributes.visibility_timeout, b.attributes.visibility_timeout);
  EXPECT_EQ(a.attributes.rewind_seconds, b.attributes.rewind_seconds);
  ASSERT_EQ(a.attributes.dead_letter_policy.has_value(),
            b.attributes.dead_letter_policy.has_value());
  if (a.attributes.dead_letter_policy) {
    EXPECT_EQ(a.attributes.dead_letter_policy->queue_name,
              b.attributes.dead_letter_policy->queue_name);
    EXPECT_EQ(a.attributes.dead_letter_policy->policy, b.attributes.dead_letter_policy->policy);
    EXPECT_EQ(a.attributes.dead_letter_policy->max_time_to_live,
              b.attributes.dead_letter_policy->max_time_to_live);
  }
}

TEST(RecordsTest, SnapshotRoundTripAndVersion) {
  SnapshotRecord s;
  s.next_msg_id = 99;
  s.next_queue_uid = 8;
  s.now_ms = 1700000009999;
  s.queues.push_back(SampleMeta());
  QueueMeta plain = SampleMeta();
  plain.uid = 3;
  plain.attributes.dead_letter_policy.reset();
  s.queues.push_back(plain);
  std::string enc = EncodeSnapshot(s);
  SnapshotRecord d;
  ASSERT_TRUE(DecodeSnapshot(enc, &d));
  EXPECT_EQ(d.version, kSnapshotVersion);
  EXPECT_EQ(d.next_msg_id, 99u);
  EXPECT_EQ(d.next_queue_uid, 8u);
  EXPECT_EQ(d.now_ms, s.now_ms);
  ASSERT_EQ(d.queues.size(), 2u);
  ExpectSameMeta(d.queues[0], s.queues[0]);
  ExpectSameMeta(d.queues[1], s.queues[1]);
  // An unknown format version is refused, not guessed at.
  SnapshotRecord future = s;
  future.version = kSnapshotVersion + 1;
  EXPECT_FALSE(DecodeSnapshot(EncodeSnapshot(future), &d));
}

TEST(RecordsTest, SendHeaderLocatesBodies) {
  SendRecord s;
  s.uid = 3;
  s.time_ms = 1700000000000;
  s.visible_ms = 1700000005000;
  s.first_pos = 10;
  s.first_msg_id = 500;
  s.lengths = {3, 5};
  std::string payload = EncodeSendHeader(s) + "abc" + "defgh";
  SendRecord d;
  size_t header = 0;
  ASSERT_TRUE(DecodeSend(payload, &d, &header));
  EXPECT_EQ(payload.substr(header, 3), "abc");
  EXPECT_EQ(d.lengths, s.lengths);
  EXPECT_EQ(d.first_pos, 10u);
  EXPECT_EQ(d.first_msg_id, 500u);
  EXPECT_EQ(d.visible_ms, s.visible_ms);
  EXPECT_FALSE(DecodeSend(payload + "x", &d, &header));  // bodies must fill the rest
  EXPECT_FALSE(DecodeSend(payload.substr(0, payload.size() - 1), &d, &header));
}

TEST(RecordsTest, OtherRecordsRoundTrip) {
  ReceiveRecord rc{4, 1700000000000, 1700000030000, {1, 2, 300000}};
  ReceiveRecord rc2;
  ASSERT_TRUE(DecodeReceive(EncodeReceive(rc), &rc2));
  EXPECT_EQ(rc2.positions, rc.positions);
  EXPECT_EQ(rc2.visible_until_ms, rc.visible_until_ms);

  DeleteRecord dl{4, 1700000000000, {9, 8}};
  DeleteRecord dl2;
  ASSERT_TRUE(DecodeDelete(EncodeDelete(dl), &dl2));
  EXPECT_EQ(dl2.positions, dl.positions);

  RewindRecord rw{4, 1700000000000, 1699999990};
  RewindRecord rw2;
  ASSERT_TRUE(DecodeRewind(EncodeRewind(rw), &rw2));
  EXPECT_EQ(rw2.start_s, rw.start_s);

  MoveTaskStartRecord ms{7, 4, 5, 1700000000000, 99, 12};
  MoveTaskStartRecord ms2;
  ASSERT_TRUE(DecodeMoveTaskStart(EncodeMoveTaskStart(ms), &ms2));
  EXPECT_EQ(ms2.task_id, 7u);
  EXPECT_EQ(ms2.target_uid, 5u);
  EXPECT_EQ(ms2.up_to_pos, 99u);
  EXPECT_EQ(ms2.to_move, 12);
  MoveTaskBatchRecord mb{7, {4, 5, 1700000000000, {{1, 2}, {3, 4}}}};
  MoveTaskBatchRecord mb2;
  ASSERT_TRUE(DecodeMoveTaskBatch(EncodeMoveTaskBatch(mb), &mb2));
  EXPECT_EQ(mb2.task_id, 7u);
  ASSERT_EQ(mb2.move.moves.size(), 2u);
  EXPECT_EQ(mb2.move.moves[1].dlq_pos, 4u);
  EXPECT_FALSE(DecodeMoveTaskBatch(EncodeMoveTaskBatch(mb).substr(0, 3), &mb2));
  MoveTaskEndRecord me{7, 1700000000001, true, "the destination queue is full"};
  MoveTaskEndRecord me2;
  ASSERT_TRUE(DecodeMoveTaskEnd(EncodeMoveTaskEnd(me), &me2));
  EXPECT_EQ(me2.task_id, 7u);
  EXPECT_EQ(me2.time_ms, me.time_ms);
  EXPECT_TRUE(me2.failed);
  EXPECT_EQ(me2.failure_reason, me.failure_reason);
  me.failed = false;
  me.failure_reason.clear();
  ASSERT_TRUE(DecodeMoveTaskEnd(EncodeMoveTaskEnd(me), &me2));
  EXPECT_FALSE(me2.failed);
  EXPECT_EQ(me2.failure_reason, "");
  std::string end = EncodeMoveTaskEnd(me);
  EXPECT_FALSE(DecodeMoveTaskEnd(end.substr(0, end.size() - 1), &me2));
  EXPECT_FALSE(DecodeMoveTaskEnd(end + "x", &me2));

  PurgeRecord pg{4, 1700000000000};
  PurgeRecord pg2;
  ASSERT_TRUE(DecodePurge(EncodePurge(pg), &pg2));
  EXPECT_EQ(pg2.uid, pg.uid);
  EXPECT_EQ(pg2.time_ms, pg.time_ms);
  EXPECT_FALSE(DecodePurge(EncodePurge(pg).substr(1), &pg2));

  DeadLetterMoveRecord mv{4, 5, 1700000000000, {{1, 2}, {3, 4}}};
  DeadLetterMoveRecord mv2;
  ASSERT_TRUE(DecodeDeadLetterMove(EncodeDeadLetterMove(mv), &mv2));
  ASSERT_EQ(mv2.moves.size(), 2u);
  EXPECT_EQ(mv2.moves[1].dlq_pos, 4u);

  RelocateRecord rl{4, 1700000000000, 77, 1234, 3, 1699999999000, 1700000030000, 1699999999500, 2,
                    2};
  std::string payload = EncodeRelocateHeader(rl) + "body";
  RelocateRecord rl2;
  size_t header = 0;
  ASSERT_TRUE(DecodeRelocate(payload, &rl2, &header));
  EXPECT_EQ(payload.substr(header), "body");
  EXPECT_EQ(rl2.generation, 2u);
  EXPECT_EQ(rl2.first_dequeue_ms, rl.first_dequeue_ms);

  CreateQueueRecord cr{1700000000000, SampleMeta()};
  CreateQueueRecord cr2;
  ASSERT_TRUE(DecodeCreateQueue(EncodeCreateQueue(cr), &cr2));
  ExpectSameMeta(cr2.meta, cr.meta);

  SetQueueRecord st{7, 1700000000000, SampleMeta().attributes};
  SetQueueRecord st2;
  ASSERT_TRUE(DecodeSetQueue(EncodeSetQueue(st), &st2));
  EXPECT_EQ(st2.attributes.rewind_seconds, 100);

  DeleteQueueRecord dq{7, 1700000000000};
  DeleteQueueRecord dq2;
  ASSERT_TRUE(DecodeDeleteQueue(EncodeDeleteQueue(dq), &dq2));
  EXPECT_EQ(dq2.uid, 7u);
}

// Receive records name their client (message trace) in a tail that records written
// before it lack: those still decode, with no client, and a cut inside the tail does not.
TEST(RecordsTest, ReceiveRecordCarriesItsClientAndOldOnesStillDecode) {
  ReceiveRecord v4{4, 1700000000000, 1700000030000, {7}};
  v4.client.len = 4;
  v4.client.bytes = {10, 0, 0, 7};
  v4.client.port = 51234;
  ReceiveRecord v6 = v4;
  v6.client.len = 16;
  v6.client.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6.client.port = 65535;
  for (const ReceiveRecord& r : {v4, v6}) {
    std::string e = EncodeReceive(r);
    ReceiveRecord d;
    ASSERT_TRUE(DecodeReceive(e, &d));
    EXPECT_EQ(d.client, r.client);
    EXPECT_EQ(d.positions, r.positions);
    ReceiveRecord without = r;
    without.client = {};
    const size_t old_size = EncodeReceive(without).size();
    EXPECT_LE(e.size() - old_size, r.client.len + 4u);  // a few bytes on the hot path
    for (size_t n = old_size + 1; n < e.size(); ++n) {
      EXPECT_FALSE(DecodeReceive(std::string_view(e.data(), n), &d)) << n;
    }
    EXPECT_FALSE(DecodeReceive(e + "x", &d));
  }
  // The form every earlier release wrote: no tail.
  std::string old = EncodeReceive({4, 1, 2, {1, 2}});
  ReceiveRecord d;
  d.client = v4.client;
  ASSERT_TRUE(DecodeReceive(old, &d));
  EXPECT_EQ(d.client.len, 0);
  // An address of another length is refused.
  std::string bad = old;
  bad += std::string("\x03\x01\x02\x03\x05", 5);
  EXPECT_FALSE(DecodeReceive(bad, &d));
}

TEST(RecordsTest, TruncatedAndGarbageInputIsRejected) {
  SnapshotRecord s;
  s.queues.push_back(SampleMeta());
  std::vector<std::string> encoded = {
      EncodeSnapshot(s),
      EncodeCreateQueue({1, SampleMeta()}),
      EncodeSetQueue({7, 1, SampleMeta().attributes}),
      EncodeReceive({4, 1, 2, {1, 2, 3}}),
      EncodeDelete({4, 1, {9}}),
      EncodeDeadLetterMove({4, 5, 1, {{1, 2}}}),
  };
  for (size_t k = 0; k < encoded.size(); ++k) {
    const std::string& e = encoded[k];
    for (size_t n = 0; n < e.size(); ++n) {
      std::string_view cut(e.data(), n);
      SnapshotRecord a;
      CreateQueueRecord b;
      SetQueueRecord c;
      ReceiveRecord d;
      DeleteRecord f;
      DeadLetterMoveRecord g;
      bool ok = k == 0   ? DecodeSnapshot(cut, &a)
                : k == 1 ? DecodeCreateQueue(cut, &b)
                : k == 2 ? DecodeSetQueue(cut, &c)
                : k == 3 ? DecodeReceive(cut, &d)
                : k == 4 ? DecodeDelete(cut, &f)
                         : DecodeDeadLetterMove(cut, &g);
      EXPECT_FALSE(ok) << "record " << k << " cut at " << n;
    }
  }
  // A huge count in a tiny record must not allocate wildly.
  std::string huge = EncodeReceive({4, 1, 2, {}});
  huge.back() = '\xff';
  huge += std::string(9, '\xff');
  ReceiveRecord r;
  EXPECT_FALSE(DecodeReceive(huge, &r));
  // Garbage of every short length.
  std::string junk;
  for (int i = 0; i < 64; ++i) {
    junk.push_back(static_cast<char>(i * 37 + 11));
    SnapshotRecord a;
    SendRecord sd;
    RelocateRecord rl;
    size_t h;
    (void)DecodeSnapshot(junk, &a);
    (void)DecodeSend(junk, &sd, &h);
    (void)DecodeRelocate(junk, &rl, &h);
  }
}

}  // namespace
}  // namespace cmq::broker
