// Black-box: a flipped bit in acknowledged data of a real data directory stops cmqd
// at start-up with a message naming the segment file and the offset (exit status 1),
// and `--salvage` starts it, logging what it skipped; the start after that is clean.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(JournalCorruptionTest, FlippedBitStopsStartUpAndSalvageSkipsIt) {
  SKIP_ON_POSTGRES_STORAGE("damages journal segment files");
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  {
    Caller caller = server.NewCaller();
    ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "q"}})));
    for (int i = 0; i < 40; ++i) {
      std::string body = "message " + std::to_string(i) + " " + std::string(200, 'a' + i % 26);
      ASSERT_TRUE(IsSuccess(caller.Call("SendMessage", {{"queueName", "q"}, {"msgBody", body}})));
    }
  }
  ASSERT_EQ(server.process().Terminate(), 0) << server.process().output();

  // Flip one bit in the middle of the written data of the first segment.
  const std::string segment = server.dir() + "/data/journal/0000000001.seg";
  std::string bytes = ReadFile(segment);
  size_t end = bytes.find_last_not_of('\0');
  ASSERT_NE(end, std::string::npos);
  ASSERT_GT(end, 4000u);
  size_t victim = end / 2;
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(victim));
    f.put(static_cast<char>(bytes[victim] ^ 0x10));
  }

  CmqdProcess refused(server.dir());
  EXPECT_FALSE(refused.Start());
  EXPECT_EQ(refused.start_exit_status(), 1);
  std::string out = refused.output();
  EXPECT_NE(out.find("journal corruption in " + segment + " at offset "), std::string::npos) << out;
  EXPECT_NE(out.find("--salvage"), std::string::npos) << out;

  CmqdProcess salvaged(server.dir(), {"--salvage"});
  ASSERT_TRUE(salvaged.Start()) << salvaged.output();
  out = salvaged.output();
  EXPECT_NE(out.find("salvage: " + segment + " bytes "), std::string::npos) << out;
  EXPECT_EQ(salvaged.Terminate(), 0) << salvaged.output();

  // Salvage marked what it skipped: the next start needs no salvage.
  CmqdProcess again(server.dir());
  ASSERT_TRUE(again.Start()) << again.output();
  EXPECT_EQ(again.Terminate(), 0);
}

}  // namespace
}  // namespace cmq::testing
