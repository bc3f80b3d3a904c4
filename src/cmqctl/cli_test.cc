// The command line without a server: dispatch, help, usage errors and their exit
// codes, profiles, and a refused connection.
#include "cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

namespace cmqctl {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cmqctl-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_["CMQ_PROFILE_FILE"] = dir_ + "/profiles";
  }
  void TearDown() override {
    std::string cmd = "rm -rf " + dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  int Run(std::vector<std::string> args, std::string input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    CliIo io;
    io.in = &in;
    io.out = &out_;
    io.err = &err_;
    auto env = env_;
    io.env = [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return RunCli(args, io);
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  std::string dir_;
  std::map<std::string, std::string> env_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliTest, TopHelpDocumentsExitCodes) {
  EXPECT_EQ(Run({"--help"}), 0);
  for (const char* s : {"Exit codes:", "130", "no message", "CMQ_ENDPOINT", "queue", "msg", "topic",
                        "sub", "watch", "profile", "--json"}) {
    EXPECT_NE(out().find(s), std::string::npos) << s;
  }
  EXPECT_EQ(Run({"help"}), 0);
  EXPECT_NE(out().find("Exit codes:"), std::string::npos);
  EXPECT_EQ(Run({}), 2);  // no command: help on stderr, usage error
  EXPECT_NE(err().find("Usage:"), std::string::npos);
}

TEST_F(CliTest, EveryResourceAndVerbHasHelpWithExamples) {
  for (const ResourceDef& r : AllResources()) {
    EXPECT_EQ(Run({r.name, "--help"}), 0) << r.name;
    std::string resource_help = out();
    EXPECT_NE(resource_help.find("Usage:"), std::string::npos);
    for (const CommandDef& c : r.commands) {
      EXPECT_NE(resource_help.find("cmqctl " + r.name + " " + c.verb), std::string::npos)
          << r.name << " " << c.verb;
      EXPECT_EQ(Run({r.name, c.verb, "--help"}), 0) << r.name << " " << c.verb;
      EXPECT_NE(out().find("Usage:\n  cmqctl " + r.name + " " + c.verb), std::string::npos);
      EXPECT_NE(out().find("Examples:"), std::string::npos) << r.name << " " << c.verb;
      EXPECT_EQ(Run({"help", r.name, c.verb}), 0);
      EXPECT_EQ(Run({r.name, c.verb, "-h"}), 0);
    }
  }
}

TEST_F(CliTest, HelpWinsOverOtherErrorsButNotAfterDoubleDash) {
  EXPECT_EQ(Run({"queue", "create", "--bogus", "--help"}), 0);
  EXPECT_NE(out().find("cmqctl queue create"), std::string::npos);
  // After "--", --help is a message body; the command then needs a server.
  EXPECT_EQ(Run({"msg", "send", "q", "--", "--help"}), 2);
  EXPECT_NE(err().find("no endpoint"), std::string::npos);
}

TEST_F(CliTest, UsageErrorsExitTwoWithAClearMessage) {
  EXPECT_EQ(Run({"queu", "list"}), 2);
  EXPECT_NE(err().find("unknown command 'queu' (did you mean 'queue'?)"), std::string::npos)
      << err();
  EXPECT_EQ(Run({"queue", "frobnicate"}), 2);
  EXPECT_NE(err().find("unknown verb 'frobnicate'"), std::string::npos);
  EXPECT_EQ(Run({"queue"}), 2);
  EXPECT_NE(err().find("Usage:"), std::string::npos);
  EXPECT_EQ(Run({"queue", "create"}), 2);
  EXPECT_NE(err().find("missing argument"), std::string::npos);
  EXPECT_EQ(Run({"queue", "show", "a", "b"}), 2);
  EXPECT_NE(err().find("unexpected argument 'b'"), std::string::npos);
  EXPECT_EQ(Run({"queue", "list", "--nope"}), 2);
  EXPECT_NE(err().find("unknown flag --nope"), std::string::npos);
  EXPECT_NE(err().find("cmqctl queue list --help"), std::string::npos);
  EXPECT_EQ(Run({"--bogus", "queue", "list"}), 2);
}

TEST_F(CliTest, BadFlagValuesAreUsageErrorsBeforeAnyNetworkTraffic) {
  env_["CMQ_ENDPOINT"] = "http://127.0.0.1:1";
  env_["CMQ_SECRET_ID"] = "id";
  env_["CMQ_SECRET_KEY"] = "key";
  EXPECT_EQ(Run({"msg", "receive", "q", "-n", "17"}), 2);
  EXPECT_NE(err().find("--number: 17 is out of range [1, 16]"), std::string::npos) << err();
  EXPECT_EQ(Run({"msg", "send", "q", "--delay", "soon", "x"}), 2);
  EXPECT_EQ(Run({"msg", "send", "q"}), 2);
  EXPECT_NE(err().find("nothing to send"), std::string::npos);
  EXPECT_EQ(Run({"msg", "send", "q", "body", "--stdin"}), 2);
  EXPECT_EQ(Run({"queue", "rewind", "q"}), 2);
  EXPECT_EQ(Run({"queue", "rewind", "q", "--to", "noon"}), 2);
  EXPECT_EQ(Run({"queue", "create", "q", "--max-receive-count", "3"}), 2);
  EXPECT_NE(err().find("--dead-letter-queue"), std::string::npos);
  EXPECT_EQ(Run({"queue", "set", "q"}), 2);
  EXPECT_EQ(Run({"sub", "create", "t", "s"}), 2);
  EXPECT_NE(err().find("--queue QUEUE or --http URL"), std::string::npos);
  EXPECT_EQ(Run({"topic", "create", "t", "--filter", "regex"}), 2);
  EXPECT_EQ(Run({"watch", "queue", "q", "--interval", "0"}), 2);
  EXPECT_EQ(Run({"queue", "create", "9bad-name"}), 2);  // the SDK refuses the name
  EXPECT_EQ(Run({"--sign", "md5", "queue", "list"}), 2);
}

TEST_F(CliTest, DeletesNeedYesWithoutATerminal) {
  env_["CMQ_ENDPOINT"] = "http://127.0.0.1:1";
  env_["CMQ_SECRET_ID"] = "id";
  env_["CMQ_SECRET_KEY"] = "key";
  EXPECT_EQ(Run({"queue", "delete", "q"}), 2);
  EXPECT_NE(err().find("without --yes"), std::string::npos);
  EXPECT_EQ(Run({"topic", "delete", "t"}), 2);
  EXPECT_EQ(Run({"sub", "delete", "t", "s"}), 2);
  EXPECT_EQ(Run({"msg", "drain", "q"}), 3);  // drain reads the queue first: refused here
}

TEST_F(CliTest, MissingCredentialsAreUsageErrors) {
  EXPECT_EQ(Run({"queue", "list"}), 2);
  EXPECT_NE(err().find("no endpoint"), std::string::npos);
  EXPECT_NE(err().find("CMQ_ENDPOINT"), std::string::npos);
  env_["CMQ_ENDPOINT"] = "http://127.0.0.1:1";
  EXPECT_EQ(Run({"queue", "list"}), 2);
  EXPECT_NE(err().find("no secret id"), std::string::npos);
  EXPECT_EQ(
      Run({"--endpoint", "ftp://x", "--secret-id", "a", "--secret-key", "b", "queue", "list"}), 2);
}

TEST_F(CliTest, RefusedConnectionExitsThree) {
  EXPECT_EQ(Run({"--endpoint", "http://127.0.0.1:1", "--secret-id", "a", "--secret-key", "b",
                 "queue", "list"}),
            3);
  EXPECT_NE(err().find("network error"), std::string::npos) << err();
  EXPECT_EQ(Run({"queue", "list", "--json", "--endpoint", "http://127.0.0.1:1", "--secret-id", "a",
                 "--secret-key", "b"}),
            3);
  EXPECT_EQ(err().rfind("{\"error\":{\"type\":\"network\"", 0), 0u) << err();
}

TEST_F(CliTest, JsonUsageErrorsAreJsonOnStderr) {
  EXPECT_EQ(Run({"--json", "queue", "show"}), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err().rfind("{\"error\":{\"type\":\"usage\",\"message\":\"missing argument", 0), 0u)
      << err();
  EXPECT_EQ(Run({"--json", "nope"}), 2);
  EXPECT_EQ(err(), "{\"error\":{\"type\":\"usage\",\"message\":\"unknown command 'nope'\"}}\n");
}

TEST_F(CliTest, ProfileLifecycle) {
  EXPECT_EQ(Run({"profile", "list"}), 0);
  EXPECT_NE(out().find("no profiles"), std::string::npos);
  EXPECT_EQ(Run({"profile", "set", "dev", "--endpoint", "http://dev:1", "--secret-id", "AKIDdev",
                 "--secret-key", "devsecret1234"}),
            0);
  EXPECT_NE(out().find("now the current profile"), std::string::npos);
  EXPECT_EQ(Run({"profile", "set", "prod", "--endpoint", "http://prod:1", "--sign", "SHA1"}), 0);
  EXPECT_EQ(out().find("current"), std::string::npos);
  EXPECT_EQ(Run({"profile", "list"}), 0);
  EXPECT_NE(out().find("*        dev   http://dev:1"), std::string::npos) << out();
  EXPECT_NE(out().find("****1234"), std::string::npos);
  EXPECT_EQ(out().find("devsecret"), std::string::npos);  // never shown

  EXPECT_EQ(Run({"profile", "show"}), 0);
  EXPECT_NE(out().find("profile: dev"), std::string::npos);
  EXPECT_NE(out().find("endpoint    http://dev:1  profile"), std::string::npos) << out();
  env_["CMQ_ENDPOINT"] = "http://env:2";
  EXPECT_EQ(Run({"profile", "show", "--json"}), 0);
  EXPECT_NE(out().find("\"value\": \"http://env:2\",\n      \"source\": \"env\""),
            std::string::npos)
      << out();
  EXPECT_EQ(Run({"profile", "show", "--endpoint", "http://flag:3"}), 0);
  EXPECT_NE(out().find("http://flag:3  flag"), std::string::npos) << out();
  env_.erase("CMQ_ENDPOINT");
  EXPECT_EQ(Run({"--profile", "prod", "profile", "show"}), 0);
  EXPECT_NE(out().find("sign        sha1"), std::string::npos) << out();

  EXPECT_EQ(Run({"profile", "use", "prod"}), 0);
  EXPECT_EQ(Run({"profile", "list", "--json"}), 0);
  EXPECT_NE(out().find("\"current\": \"prod\""), std::string::npos);
  EXPECT_EQ(Run({"profile", "use", "ghost"}), 1);
  EXPECT_EQ(Run({"--profile", "ghost", "queue", "list"}), 2);
  EXPECT_NE(err().find("no profile named 'ghost'"), std::string::npos);
  EXPECT_EQ(Run({"profile", "set", "bad name"}), 2);
  EXPECT_EQ(Run({"profile", "set", "prod"}), 2);  // nothing to change
  EXPECT_EQ(Run({"profile", "set", "prod", "--method", "PUT"}), 2);
  EXPECT_EQ(Run({"profile", "delete", "prod"}), 0);
  EXPECT_EQ(Run({"profile", "delete", "prod"}), 1);
  EXPECT_EQ(Run({"profile", "list", "--json"}), 0);
  EXPECT_NE(out().find("\"current\": \"\""), std::string::npos) << out();
}

TEST_F(CliTest, Version) {
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_EQ(out().rfind("cmqctl ", 0), 0u);
}

}  // namespace
}  // namespace cmqctl
