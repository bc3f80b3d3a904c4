#include "server/config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace cmq::server {
namespace {

Status Parse(std::vector<std::string> args, Config* config, bool* help) {
  args.insert(args.begin(), "cmqd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), config, help);
}

std::string WriteFile(const std::string& text) {
  char path[] = "/tmp/cmqd-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, FlagsSetListenDataDirAndKeys) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--listen", "0.0.0.0:9000", "--data-dir=/tmp/x", "--secret-id", "AKIDa",
                     "--secret-key", "k"},
                    &c, &help)
                  .ok());
  EXPECT_FALSE(help);
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.secret_id, "AKIDa");
  EXPECT_EQ(c.secret_key, "k");
}

TEST(ConfigTest, HelpShortCircuits) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--listen", "1.2.3.4:5", "--help"}, &c, &help).ok());
  EXPECT_TRUE(help);
  EXPECT_NE(ConfigHelp().find("durability"), std::string::npos);
}

TEST(ConfigTest, RejectsBadValuesWithTheirName) {
  Config c;
  bool help;
  Status s = Parse({"--listen", "nope"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("listen"), std::string::npos);
  s = Parse({"--timestamp-skew-seconds", "abc"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("timestamp_skew_seconds"), std::string::npos);
  EXPECT_FALSE(Parse({"--no-such-setting", "1"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--secret-id", "only-id"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--durability", "sometimes"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--listen"}, &c, &help).ok());
}

TEST(ConfigTest, FileDefinesAccountsAndTunablesFlagsWin) {
  std::string path = WriteFile(
      "# comment\n"
      "listen = 127.0.0.1:7000\n"
      "durability = relaxed\n"
      "max_polling_wait_seconds = 20\n"
      "public_hosts = a.example, b.example:8080\n"
      "[account]\n"
      "app_id = 1300000001\n"
      "secret_id = AKIDone\n"
      "secret_key = \"key one\"\n"
      "[account]\n"
      "app_id = 1300000002\n"
      "secret_id = AKIDtwo\n"
      "secret_key = two\n"
      "enabled = false\n");
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--config", path, "--listen", "127.0.0.1:7001"}, &c, &help).ok());
  EXPECT_EQ(c.listen_port, 7001);
  EXPECT_TRUE(c.relaxed_durability);
  EXPECT_EQ(c.api.limits.max_polling_wait_seconds, 20);
  ASSERT_EQ(c.api.verify.public_hosts.size(), 2u);
  EXPECT_EQ(c.api.verify.public_hosts[1], "b.example:8080");
  ASSERT_EQ(c.accounts.size(), 2u);
  EXPECT_EQ(c.accounts[0].secret_key, "key one");
  EXPECT_EQ(c.accounts[1].app_id, 1300000002u);
  EXPECT_FALSE(c.accounts[1].enabled);
  std::remove(path.c_str());
}

TEST(ConfigTest, FileErrorsNameTheLine) {
  std::string path = WriteFile("listen = 127.0.0.1:1\nbogus = 3\n");
  Config c;
  Status s = LoadConfigFile(path, &c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find(":2:"), std::string::npos) << s.detail();
  std::remove(path.c_str());
  path = WriteFile("[account]\napp_id = 5\n");
  EXPECT_FALSE(LoadConfigFile(path, &c).ok());  // lacks keys
  std::remove(path.c_str());
  EXPECT_FALSE(LoadConfigFile("/nonexistent/cmqd.conf", &c).ok());
}

}  // namespace
}  // namespace cmq::server
