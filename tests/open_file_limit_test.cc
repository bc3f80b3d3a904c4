// Running out of file descriptors (issue 10, defect 6), for real: cmqd runs under
// `prlimit --nofile=256:256` with 1 MiB segments, and more clients connect than that
// limit could ever hold. cmqd keeps its client connections below what the limit
// leaves after the journal's share, says so in its log, keeps serving the clients it
// accepted, and its journal still gets the descriptors it needs to roll into new
// segments: no send is refused as "disk full". Waiting clients are taken in as
// others leave.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/eventually.h"

namespace cmq::testing {
namespace {

constexpr int kOpenFileLimit = 256;
constexpr char kPrlimit[] = "/usr/bin/prlimit";

ClientResult<JsonValue> CallOn(RawConnection& connection, const Caller& caller,
                               std::string_view action, ParamList params) {
  if (!connection.Send(RawSignedPost(caller, action, std::move(params)))) {
    return client::MakeError(client::ErrorKind::kNetwork, "send failed");
  }
  ClientResult<HttpResponse> response = connection.ReadResponse();
  if (!response.ok()) return response.error();
  return ParseEnvelope(*response);
}

size_t SegmentFiles(const std::string& journal_dir) {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(journal_dir)) {
    n += entry.path().extension() == ".seg";
  }
  return n;
}

TEST(OpenFileLimitTest, ConnectionsStayBelowTheLimitAndTheJournalStillRolls) {
  SKIP_ON_POSTGRES_STORAGE("counts journal segment files");
  if (!std::filesystem::exists(kPrlimit)) GTEST_SKIP() << "no " << kPrlimit << " (util-linux)";
  TestServer server({"--segment-size-mb", "1", "--idle-timeout-seconds", "3600"});
  server.process().set_launcher({kPrlimit, "--nofile=" + std::to_string(kOpenFileLimit) + ":" +
                                               std::to_string(kOpenFileLimit)});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller caller = server.NewCaller();

  // More connections than the whole limit; the kernel's listen backlog holds the ones
  // cmqd does not accept. Accepting is first come, first served.
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < kOpenFileLimit; ++i) {
    connections.push_back(std::make_unique<RawConnection>());
    ASSERT_TRUE(connections.back()->Connect(server.port())) << i;
  }
  RawConnection& first = *connections.front();

  // 6 MiB of messages roll the 1 MiB journal into new segments, each a new file.
  ASSERT_TRUE(IsSuccess(CallOn(first, caller, "CreateQueue", {{"queueName", "fds"}})));
  const std::string body(60000, 'x');
  for (int batch = 0; batch < 7; ++batch) {
    ParamList params = {{"queueName", "fds"}};
    for (int k = 1; k <= 16; ++k) params.emplace_back("msgBody." + std::to_string(k), body);
    ClientResult<JsonValue> sent = CallOn(first, caller, "BatchSendMessage", params);
    EXPECT_TRUE(IsSuccess(sent)) << "batch " << batch;
  }
  EXPECT_GE(SegmentFiles(server.dir() + "/data/journal"), 6u);

  // The log says why the other clients wait, and how many were taken in.
  std::smatch limit;
  const std::regex limit_line(
      "connection limit reached: ([0-9]+) open, the limit is [0-9]+ \\(what the open-file "
      "limit of 256 leaves for clients; max_connections 100000\\)");
  std::string output;
  ASSERT_TRUE(Eventually([&] {
    output = server.process().output();
    return std::regex_search(output, limit, limit_line);
  })) << output;
  size_t accepted = std::stoul(limit[1]);
  EXPECT_NE(output.find("open-file limit 256;"), std::string::npos) << output;
  ASSERT_GE(accepted, 16u);
  ASSERT_LT(accepted, static_cast<size_t>(kOpenFileLimit) - 64);

  // Every accepted client is served.
  for (size_t i = 0; i < accepted; ++i) {
    ClientResult<JsonValue> got =
        CallOn(*connections[i], caller, "GetQueueAttributes", {{"queueName", "fds"}});
    ASSERT_TRUE(IsSuccess(got)) << "connection " << i;
    EXPECT_EQ(IntField(*got, "activeMsgNum"), 7 * 16);
  }
  // Clients that leave make room for the waiting ones.
  for (size_t i = 0; i < 40; ++i) connections[i]->Close();
  ClientResult<JsonValue> waited = CallOn(*connections[accepted], caller, "SendMessage",
                                          {{"queueName", "fds"}, {"msgBody", "late"}});
  EXPECT_TRUE(IsSuccess(waited));

  output = server.process().output();
  EXPECT_EQ(output.find("disk full"), std::string::npos) << output;
  EXPECT_EQ(output.find("10090"), std::string::npos) << output;
  connections.clear();
  EXPECT_EQ(server.process().Terminate(), 0) << server.process().output();
}

}  // namespace
}  // namespace cmq::testing
