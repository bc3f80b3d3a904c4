// Black-box: what an operator sees when cmqd starts, or cannot: failures worded for a
// person, a taken port noticed before anything is created, and the default account's
// key pair from flags, environment, config file or the kept credentials file, never
// silently one instead of another.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/child_process.h"

namespace cmq::testing {
namespace {

// Runs cmqd with `args` (and `environment` added) until it exits; one that starts
// instead is killed at the limit and fails the test there.
RunResult RunCmqd(std::vector<std::string> args, std::vector<std::string> environment = {}) {
  Program program;
  // The admin listener on a free port: tests run many cmqd side by side.
  program.argv = {CMQD_PATH, "--admin-listen", "127.0.0.1:0"};
  program.argv.insert(program.argv.end(), args.begin(), args.end());
  program.environment = std::move(environment);
  RunOptions options;
  options.merge_stderr = true;
  RunResult r = RunProgram(program, options);
  EXPECT_FALSE(r.timed_out) << "cmqd started instead of failing:\n" << r.out;
  return r;
}

// Text for a person: none of the error registry's internal names and codes.
::testing::AssertionResult ReadsAsPlainWords(const std::string& text) {
  for (const char* internal : {"kIoError", "kNotFound", "kCorruption", "kInvalidParameters",
                               "6000/", "10050", "internal error"}) {
    if (text.find(internal) != std::string::npos) {
      return ::testing::AssertionFailure() << "shows \"" << internal << "\":\n" << text;
    }
  }
  return ::testing::AssertionSuccess();
}

// A caller of the default account with this key pair.
Caller CallerFor(const CmqdProcess& server, const std::string& id, const std::string& key) {
  CallerOptions options;
  options.endpoint = server.endpoint() + "/";
  options.secret_id = id;
  options.secret_key = key;
  ClientResult<Caller> caller = Caller::Create(options);
  EXPECT_TRUE(caller.ok());
  return std::move(caller).value();
}

bool Accepts(const CmqdProcess& server, const std::string& id, const std::string& key) {
  return IsSuccess(CallerFor(server, id, key).Call("ListQueue", {}));
}

// The value printed after `label` on the line that has it.
std::string ValueAfter(const std::string& text, const std::string& label) {
  size_t at = text.find(label);
  if (at == std::string::npos) return "";
  at += label.size();
  while (at < text.size() && text[at] == ' ') ++at;
  return text.substr(at, text.find('\n', at) - at);
}

// A port of 127.0.0.1 that another socket listens on, for as long as this lives;
// `address` is "127.0.0.1:PORT" ("" if the socket could not be made).
struct TakenPort {
  TakenPort() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }
  ~TakenPort() {
    if (fd >= 0) close(fd);
  }
  int fd = -1;
  std::string address;
};

TEST(StartupTest, ATakenPortStopsTheStartBeforeAnythingIsCreated) {
  TakenPort taken;
  ASSERT_FALSE(taken.address.empty());
  const std::string listen_on = taken.address;

  TempDir dir;
  const std::string data = dir.path() + "/data";
  RunResult r = RunCmqd({"--listen", listen_on, "--data-dir", data});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_NE(r.out.find("cmqd: cannot listen on " + listen_on), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Address already in use"), std::string::npos) << r.out;
  EXPECT_TRUE(ReadsAsPlainWords(r.out));
  EXPECT_EQ(r.out.find("SecretKey"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(data));
}

TEST(StartupTest, ATakenAdminPortStopsTheStartLikeATakenApiPort) {
  TakenPort taken;
  ASSERT_FALSE(taken.address.empty());
  const std::string admin_on = taken.address;

  TempDir dir;
  const std::string data = dir.path() + "/data";
  RunResult r =
      RunCmqd({"--listen", "127.0.0.1:0", "--admin-listen", admin_on, "--data-dir", data});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_NE(r.out.find("cmqd: cannot listen on " + admin_on + " (admin_listen)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Address already in use"), std::string::npos) << r.out;
  EXPECT_TRUE(ReadsAsPlainWords(r.out));
  EXPECT_FALSE(std::filesystem::exists(data));
}

TEST(StartupTest, ADataDirectoryThatCannotBeMadeIsNamedWithTheReason) {
  TempDir dir;
  const std::string file = dir.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  const std::string data = file + "/data";
  RunResult r = RunCmqd({"--listen", "127.0.0.1:0", "--data-dir", data});
  EXPECT_EQ(r.exit_status, 1) << r.out;
  EXPECT_NE(r.out.find("cmqd: cannot create the data directory " + data + ": "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Not a directory"), std::string::npos) << r.out;
  EXPECT_TRUE(ReadsAsPlainWords(r.out));
}

TEST(StartupTest, AGivenKeyPairThatDiffersFromTheKeptOneStopsTheStart) {
  // The distributed mode keeps a generated pair in its database (DistributedTest).
  SKIP_ON_POSTGRES_STORAGE("the generated key pair is kept in the data directory");
  TempDir dir;
  CmqdProcess server(dir.path());
  server.set_pass_key_pair(false);
  ASSERT_TRUE(server.Start()) << server.output();
  const std::string first_run = server.output();
  const std::string kept_id = ValueAfter(first_run, "SecretId:");
  const std::string kept_key = ValueAfter(first_run, "SecretKey:");
  ASSERT_EQ(kept_id.rfind("AKID", 0), 0u) << first_run;
  ASSERT_FALSE(kept_key.empty()) << first_run;
  EXPECT_TRUE(Accepts(server, kept_id, kept_key));
  ASSERT_EQ(server.Terminate(), 0) << server.output();

  const std::string data = dir.path() + "/data";
  const std::string credentials = data + "/credentials";
  const std::string other_id = CmqdProcess::kSecretId;
  const std::string other_key = CmqdProcess::kSecretKey;
  // Another pair by flag, by environment, and the kept SecretId with another key.
  struct Given {
    std::vector<std::string> args;
    std::vector<std::string> environment;
    std::string origin;
    std::string given_id;
  };
  const std::vector<Given> conflicting = {
      {{"--secret-id", other_id, "--secret-key", other_key},
       {},
       "--secret-id/--secret-key",
       other_id},
      {{},
       {"CMQ_SECRET_ID=" + other_id, "CMQ_SECRET_KEY=" + other_key},
       "CMQ_SECRET_ID/CMQ_SECRET_KEY",
       other_id},
      {{"--secret-id", kept_id, "--secret-key", other_key},
       {},
       "--secret-id/--secret-key",
       kept_id},
  };
  for (const Given& given : conflicting) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--data-dir", data};
    args.insert(args.end(), given.args.begin(), given.args.end());
    RunResult r = RunCmqd(args, given.environment);
    EXPECT_EQ(r.exit_status, 1) << r.out;
    EXPECT_NE(r.out.find("from " + given.origin + " (SecretId " + given.given_id),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("is not the one kept in " + credentials + " (SecretId " + kept_id + ")"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("start without " + given.origin), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("delete " + credentials), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kept_key), std::string::npos) << "secret key printed:\n" << r.out;
    EXPECT_EQ(r.out.find(other_key), std::string::npos) << "secret key printed:\n" << r.out;
    EXPECT_TRUE(ReadsAsPlainWords(r.out));
  }

  // The kept pair, given or not, still starts; nothing was changed by the refusals.
  server.set_environment({"CMQ_SECRET_ID=" + kept_id, "CMQ_SECRET_KEY=" + kept_key});
  ASSERT_TRUE(server.Start()) << server.output();
  EXPECT_TRUE(Accepts(server, kept_id, kept_key));
  EXPECT_FALSE(Accepts(server, other_id, other_key));
  ASSERT_EQ(server.Terminate(), 0) << server.output();
  server.set_environment({});
  ASSERT_TRUE(server.Start()) << server.output();
  EXPECT_TRUE(Accepts(server, kept_id, kept_key));
}

TEST(StartupTest, KeyPairFromTheEnvironment) {
  TempDir dir;
  CmqdProcess server(dir.path());
  server.set_pass_key_pair(false);
  server.set_environment({"CMQ_SECRET_ID=AKIDfromenvironment", "CMQ_SECRET_KEY=env-secret-key"});
  ASSERT_TRUE(server.Start()) << server.output();
  EXPECT_TRUE(Accepts(server, "AKIDfromenvironment", "env-secret-key"));
  EXPECT_EQ(server.output().find("generated a key pair"), std::string::npos) << server.output();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data/credentials"));
}

TEST(StartupTest, KeyPairFromTheConfigFile) {
  TempDir dir;
  const std::string config = dir.path() + "/cmqd.conf";
  std::ofstream(config) << "secret_id = AKIDfromconfigfile\nsecret_key = file-secret-key\n";
  CmqdProcess server(dir.path(), {"--config", config});
  server.set_pass_key_pair(false);
  ASSERT_TRUE(server.Start()) << server.output();
  EXPECT_TRUE(Accepts(server, "AKIDfromconfigfile", "file-secret-key"));
  EXPECT_EQ(server.output().find("generated a key pair"), std::string::npos) << server.output();
}

TEST(StartupTest, HalfAKeyPairIsRefused) {
  TempDir dir;
  RunResult r = RunCmqd({"--listen", "127.0.0.1:0", "--data-dir", dir.path() + "/data"},
                        {"CMQ_SECRET_ID=AKIDwithoutakey", "CMQ_SECRET_KEY="});
  EXPECT_EQ(r.exit_status, 2) << r.out;
  EXPECT_NE(r.out.find("CMQ_SECRET_ID/CMQ_SECRET_KEY: give both or neither"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace cmq::testing
