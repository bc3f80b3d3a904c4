// A disk whose fdatasync fails, under the real cmqd (issue 10, defect 9): a preloaded
// library (tests/support/preload/fail_fdatasync.cc) makes every fdatasync fail with EIO
// once the test creates a flag file. cmqd must log the failure at once, naming the
// segment file and the error; answer clients with the documented 6000 and a fixed
// text without any path; keep refusing writes after the disk "recovers" (fail-stop)
// while reads keep working; and keep every acknowledged message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/blackbox.h"
#include "support/fail_fdatasync.h"

namespace cmq::testing {
namespace {

constexpr char kStorageFailedMessage[] =
    "(10050)server internal error: storage failed, the server stopped accepting writes after "
    "a disk error";

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StorageFailureTest, FdatasyncErrorIsLoggedAtOnceAndClientsSeeNoPath) {
  SKIP_ON_POSTGRES_STORAGE("fails the journal's fdatasync");
  TestServer server;
  const std::string flag = server.dir() + "/fail-fdatasync";
  server.process().set_launcher(FailFdatasyncLauncher(flag));
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "disk"}})));
  ASSERT_TRUE(IsSuccess(caller.Call("SendMessage", {{"queueName", "disk"}, {"msgBody", "kept"}})));

  std::ofstream(flag) << "fail\n";
  ClientResult<JsonValue> failed =
      caller.Call("SendMessage", {{"queueName", "disk"}, {"msgBody", "refused"}});
  ASSERT_TRUE(IsServerError(failed, 6000, 10050));
  EXPECT_EQ(failed.error().message, kStorageFailedMessage);
  // Logged before the answer was sent.
  const std::string journal_line =
      "ERROR journal failed, writes are refused until a restart (fail-stop): fdatasync " +
      server.dir() + "/data/journal/";
  std::string output = server.process().output();
  EXPECT_EQ(Occurrences(output, journal_line), 1u) << output;
  EXPECT_NE(output.find(".seg: Input/output error (EIO)"), std::string::npos) << output;

  // The disk works again, but the journal stays failed: a storage failure, not a full
  // disk, and no second journal line.
  std::filesystem::remove(flag);
  ClientResult<JsonValue> later =
      caller.Call("SendMessage", {{"queueName", "disk"}, {"msgBody", "later"}});
  ASSERT_TRUE(IsServerError(later, 6000, 10050));
  EXPECT_EQ(later.error().message, kStorageFailedMessage);
  EXPECT_TRUE(IsSuccess(caller.Call("GetQueueAttributes", {{"queueName", "disk"}})));
  output = server.process().output();
  EXPECT_EQ(Occurrences(output, journal_line), 1u) << output;
  EXPECT_EQ(server.process().Terminate(), 1) << "the final sync failed, so the exit status";

  // A restart on a working disk finds the acknowledged message.
  server.process().set_launcher({});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller again = server.NewCaller();
  ClientResult<JsonValue> received = again.Call("ReceiveMessage", {{"queueName", "disk"}});
  ASSERT_TRUE(IsSuccess(received));
  EXPECT_EQ(StrField(*received, "msgBody"), "kept");
  EXPECT_EQ(server.process().Terminate(), 0);
}

}  // namespace
}  // namespace cmq::testing
