// Completion candidates against the real command table: what the table holds is
// offered, in its order, and nothing else.
#include "completion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli.h"

namespace cmqctl {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

std::vector<std::string> Complete(std::vector<std::string> words) {
  return CompletionCandidates(words);
}

TEST(CompletionTest, FirstWordOffersEveryResourceThenHelpAndVersion) {
  std::vector<std::string> expected;
  for (const ResourceDef& r : AllResources()) expected.push_back(r.name);
  expected.push_back("help");
  expected.push_back("version");
  EXPECT_EQ(Complete({""}), expected);
  EXPECT_EQ(Complete({}), expected);
  EXPECT_THAT(Complete({"q"}), ElementsAre("queue"));
  EXPECT_THAT(Complete({"xyz"}), IsEmpty());
}

TEST(CompletionTest, VerbsOfTheResourceByNameOrAlias) {
  std::vector<ResourceDef> resources = AllResources();
  const ResourceDef* queue = FindResource(resources, "queue");
  ASSERT_NE(queue, nullptr);
  std::vector<std::string> verbs;
  for (const CommandDef& c : queue->commands) verbs.push_back(c.verb);
  EXPECT_EQ(Complete({"queue", ""}), verbs);
  EXPECT_EQ(Complete({"q", ""}), verbs);  // an alias
  EXPECT_THAT(Complete({"msg", "rec"}), ElementsAre("receive"));
  EXPECT_THAT(Complete({"nosuch", ""}), IsEmpty());
  EXPECT_THAT(Complete({"help", "msg", "se"}), ElementsAre("send"));
}

TEST(CompletionTest, GlobalFlagsMayComeBeforeTheResource) {
  EXPECT_THAT(Complete({"--endpoint", "http://x:1", "--json", "ms"}), ElementsAre("msg"));
  EXPECT_THAT(Complete({"-v", "--timeout=3", "msg", "del"}), ElementsAre("delete"));
}

TEST(CompletionTest, FlagsOfTheCommandAndGlobalOnes) {
  std::vector<std::string> flags = Complete({"msg", "receive", "--"});
  EXPECT_THAT(flags, Contains("--wait"));      // the command's
  EXPECT_THAT(flags, Contains("--endpoint"));  // global
  EXPECT_THAT(flags, Not(Contains("--version")));
  EXPECT_THAT(Complete({"msg", "receive", "orders", "--wa"}), ElementsAre("--wait"));
  EXPECT_THAT(Complete({"--ver"}), ElementsAre("--verbose", "--version"));
}

TEST(CompletionTest, ListedValuesOfAFlag) {
  EXPECT_THAT(Complete({"--sign", ""}), ElementsAre("sha1", "sha256"));
  EXPECT_THAT(Complete({"queue", "list", "--method", "P"}), ElementsAre("POST"));
  // A placeholder is no list: nothing, not the flags, and the value is skipped after.
  EXPECT_THAT(Complete({"msg", "receive", "--wait", "-"}), IsEmpty());
  EXPECT_THAT(Complete({"msg", "receive", "-w", "5", "--ver"}), ElementsAre("--verbose"));
}

TEST(CompletionTest, NothingForArgumentsOrAfterDoubleDash) {
  EXPECT_THAT(Complete({"msg", "send", "orders", ""}), IsEmpty());
  EXPECT_THAT(Complete({"msg", "send", "orders", "--", "-"}), IsEmpty());
}

TEST(CompletionTest, RunCliPrintsOneCandidatePerLine) {
  std::ostringstream out, err;
  std::istringstream in;
  CliIo io;
  io.in = &in;
  io.out = &out;
  io.err = &err;
  EXPECT_EQ(RunCli({"__complete", "--sign", "sha"}, io), kExitOk);
  EXPECT_EQ(out.str(), "sha1\nsha256\n");
  EXPECT_EQ(err.str(), "");
}

}  // namespace
}  // namespace cmqctl
