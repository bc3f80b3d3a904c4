#include "broker/message_table.h"

#include <gtest/gtest.h>

namespace cmq::broker {
namespace {

MessageEntry Live(uint64_t id) {
  MessageEntry e;
  e.msg_id = id;
  e.state = MessageState::kActive;
  return e;
}

TEST(MessageTableTest, InsertFindEraseAndNextLive) {
  MessageTable t;
  EXPECT_EQ(t.Find(0), nullptr);
  EXPECT_FALSE(t.NextLive(0));
  t.Insert(100, Live(1));
  t.Insert(5, Live(2));  // before the first chunk
  t.Insert(1000, Live(3));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Find(100)->msg_id, 1u);
  EXPECT_EQ(t.Find(5)->msg_id, 2u);
  EXPECT_EQ(t.Find(6), nullptr);
  EXPECT_EQ(t.Find(1u << 30), nullptr);
  EXPECT_EQ(*t.NextLive(0), 5u);
  EXPECT_EQ(*t.NextLive(6), 100u);
  EXPECT_EQ(*t.NextLive(101), 1000u);
  EXPECT_FALSE(t.NextLive(1001));
  t.Insert(100, Live(9));  // overwrite does not count twice
  EXPECT_EQ(t.size(), 3u);
  t.Erase(100);
  t.Erase(100);
  t.Erase(77777);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(*t.NextLive(6), 1000u);
  t.Erase(5);
  t.Erase(1000);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.MemoryBytes(), 0u);  // every chunk freed
}

TEST(MessageTableTest, EmptyChunksAreFreed) {
  MessageTable t;
  for (uint64_t p = 0; p < 64 * 100; ++p) t.Insert(p, Live(p));
  size_t full = t.MemoryBytes();
  for (uint64_t p = 1; p < 64 * 100; ++p) t.Erase(p);  // keep only position 0
  EXPECT_LT(t.MemoryBytes(), full / 50);
  EXPECT_EQ(*t.NextLive(0), 0u);
  EXPECT_FALSE(t.NextLive(1));
}

}  // namespace
}  // namespace cmq::broker
