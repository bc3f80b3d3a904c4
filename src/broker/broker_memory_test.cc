// Per-message memory stays small: entries hold no body, only its journal location.
#include "broker/broker_test_util.h"
#include "broker/message_table.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::kAccount;

// 64 bytes: one cache line. The last 8 (MessageEntry::lsn) let a receive wait only for
// the records its messages depend on.
static_assert(sizeof(MessageEntry) <= 64, "the per-message entry must stay small");

class MemoryTest : public BrokerFixture {};

TEST_F(MemoryTest, TwoHundredThousandMessagesCostUnder120BytesEach) {
  Create("q");
  Create("delayed");
  const int64_t base = broker_->GetStats().memory_bytes;
  std::vector<std::string_view> batch(16, std::string_view("a body that lives in the journal"));
  const int kMessages = 200000;
  for (int i = 0; i < kMessages / 2 / 16; ++i) {
    ASSERT_TRUE(Call(&Broker::SendMessages)(kAccount, "q", batch, 0).ok());
    ASSERT_TRUE(Call(&Broker::SendMessages)(kAccount, "delayed", batch, 60).ok());
  }
  // Half of the ready ones in flight: every index structure is in use.
  for (int i = 0; i < kMessages / 4 / 16; ++i) Receive("q", 16);
  auto stats = broker_->GetStats();
  EXPECT_EQ(stats.messages, kMessages);
  double per_message = static_cast<double>(stats.memory_bytes - base) / kMessages;
  EXPECT_LT(per_message, 120.0);
  EXPECT_GT(per_message, 40.0);  // the estimate counts the entries at all

  // Consuming everything gives the memory back.
  for (int i = 0; i < kMessages / 4 / 16; ++i) {
    testing::Received r = Receive("q", 16);
    std::vector<std::string_view> handles;
    for (const auto& m : r.messages) handles.push_back(m.receipt_handle);
    ASSERT_TRUE(Call(&Broker::DeleteMessages)(kAccount, "q", handles).ok());
  }
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "delayed").ok());
  Advance(31000);  // the in-flight ones become visible again
  EXPECT_EQ(broker_->GetStats().messages, kMessages / 4);
}

TEST_F(MemoryTest, OneOldMessageDoesNotPinLaterOnes) {
  Create("q");
  SendOne("q", "stuck");
  ReceiveOne("q");  // stays Inactive, then Active again, never deleted
  std::vector<std::string_view> batch(16, std::string_view("x"));
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(Call(&Broker::SendMessages)(kAccount, "q", batch, 0).ok());
    testing::Received r = Receive("q", 16);
    std::vector<std::string_view> handles;
    for (const auto& m : r.messages) handles.push_back(m.receipt_handle);
    ASSERT_TRUE(Call(&Broker::DeleteMessages)(kAccount, "q", handles).ok());
  }
  EXPECT_LT(broker_->GetStats().memory_bytes, 64 * 1024);
}

}  // namespace
}  // namespace cmq::broker
