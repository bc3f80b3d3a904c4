// A full disk, for real: cmqd runs on a small tmpfs. New messages are refused with a
// clear error once the disk cannot hold them (and their delete records), while every
// message already accepted can still be received and deleted; once deletes free whole
// journal segments, sends work again. Needs root to mount the tmpfs; skipped otherwise.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "client/caller.h"
#include "support/cmqd_process.h"

namespace cmq {
namespace {

using client::Caller;
using testing::CmqdProcess;
using testing::TempDir;

class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const std::string& size) : path_(path) {
    mkdir(path.c_str(), 0755);
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~TmpfsMount() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

Caller Connect(const CmqdProcess& server) {
  client::CallerOptions options;
  options.endpoint = server.endpoint();
  options.secret_id = CmqdProcess::kSecretId;
  options.secret_key = CmqdProcess::kSecretKey;
  auto caller = Caller::Create(options);
  EXPECT_TRUE(caller.ok());
  return std::move(caller).value();
}

// Sends 1 MiB batches until the server refuses; returns how many messages it accepted.
int FillUntilRefused(Caller& caller, const std::string& queue, client::Error* refusal) {
  const std::string body(64 * 1024 - 1, 'x');
  int accepted = 0;
  for (int call = 0; call < 1000; ++call) {
    ParamList params = {{"queueName", queue}};
    for (int k = 1; k <= 16; ++k) params.emplace_back("msgBody." + std::to_string(k), body);
    auto sent = caller.Call("BatchSendMessage", params);
    if (!sent.ok()) {
      *refusal = sent.error();
      return accepted;
    }
    accepted += 16;
  }
  ADD_FAILURE() << "the disk never filled up";
  return accepted;
}

// Receives and deletes everything; every delete must succeed.
int DrainAndDelete(Caller& caller, const std::string& queue) {
  int deleted = 0;
  while (true) {
    auto got = caller.Call(
        "BatchReceiveMessage",
        {{"queueName", queue}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "1"}}, 1000);
    if (!got.ok()) {
      EXPECT_TRUE(got.error().is_no_message()) << got.error().ToString();
      return deleted;
    }
    ParamList handles = {{"queueName", queue}};
    int i = 1;
    for (const JsonValue& m : got->Find("msgInfoList")->items()) {
      handles.emplace_back("receiptHandle." + std::to_string(i++),
                           m.Find("receiptHandle")->as_string());
    }
    auto del = caller.Call("BatchDeleteMessage", handles);
    EXPECT_TRUE(del.ok()) << del.error().ToString();
    if (!del.ok()) return deleted;
    deleted += i - 1;
  }
}

TEST(DiskFullTest, RefusesSendsKeepsDeletesAndRecovers) {
  SKIP_ON_POSTGRES_STORAGE("the journal's disk fills up");
  TempDir dir;
  TmpfsMount disk(dir.path() + "/disk", "48m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
  CmqdProcess server(dir.path() + "/disk", {"--segment-size-mb", "4"});
  ASSERT_TRUE(server.Start()) << server.output();
  Caller caller = Connect(server);
  const std::string queue = "full";
  auto created = caller.Call("CreateQueue", {{"queueName", queue}, {"maxMsgSize", "65536"}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();

  client::Error refusal;
  int accepted = FillUntilRefused(caller, queue, &refusal);
  EXPECT_GT(accepted, 100);
  ASSERT_TRUE(refusal.is_server()) << refusal.ToString();
  EXPECT_EQ(refusal.code, 6000);
  EXPECT_EQ(refusal.module_code, 10090);
  EXPECT_NE(refusal.message.find("disk full"), std::string::npos) << refusal.message;

  // Refused sends stored nothing: exactly the accepted messages are there.
  auto attrs = caller.Call("GetQueueAttributes", {{"queueName", queue}});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->Find("activeMsgNum")->as_int(), accepted);

  // A kill -9 on a full disk loses nothing and the server comes back.
  server.Kill9();
  ASSERT_TRUE(server.Start()) << server.output();
  caller = Connect(server);

  EXPECT_EQ(DrainAndDelete(caller, queue), accepted);
  attrs = caller.Call("GetQueueAttributes", {{"queueName", queue}});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->Find("activeMsgNum")->as_int(), 0);
  EXPECT_EQ(attrs->Find("inactiveMsgNum")->as_int(), 0);

  // Deleting everything makes the old segments reclaimable; sends work again. The
  // broker drops dead segments as time passes, so retry, bounded by a count of polls.
  bool sent_again = false;
  for (int attempt = 0; attempt < 30 && !sent_again; ++attempt) {
    auto sent = caller.Call("SendMessage", {{"queueName", queue}, {"msgBody", "again"}});
    if (sent.ok()) {
      sent_again = true;
      break;
    }
    ASSERT_EQ(sent.error().code, 6000) << sent.error().ToString();
    // Let time pass on the server with a long poll on an empty queue (not a sleep).
    (void)caller.Call("ReceiveMessage", {{"queueName", queue}, {"pollingWaitSeconds", "1"}},
                      1000);
  }
  EXPECT_TRUE(sent_again) << server.output();
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace cmq
