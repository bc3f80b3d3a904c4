#include "line_batcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

namespace cmqctl {
namespace {

std::vector<std::vector<std::string>> AllBatches(LineBatcher& b) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> batch;
  while (b.Next(&batch)) out.push_back(batch);
  return out;
}

TEST(LineBatcherTest, BatchesOfSixteenSkippingEmptyLinesAndStrippingCr) {
  std::string text;
  for (int i = 1; i <= 35; ++i) text += std::to_string(i) + (i % 10 == 0 ? "\r\n\n" : "\n");
  text += "last-without-newline";
  std::istringstream in(text);
  auto reader = StreamLineReader(in);
  LineBatcher b(*reader);
  auto batches = AllBatches(b);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].size(), 16u);
  EXPECT_EQ(batches[1].size(), 16u);
  EXPECT_EQ(batches[2].size(), 4u);
  EXPECT_EQ(batches[0][9], "10");  // no "\r"
  EXPECT_EQ(batches[2].back(), "last-without-newline");
  EXPECT_EQ(b.skipped_empty(), 3u);
  EXPECT_FALSE(b.read_error());
}

TEST(LineBatcherTest, ByteLimitCutsBatchesAndOversizedLineGoesAlone) {
  std::istringstream in("aaaa\nbbbb\ncccc\n" + std::string(20, 'x') + "\ndd\n");
  auto reader = StreamLineReader(in);
  LineBatcher b(*reader, 16, 10);
  auto batches = AllBatches(b);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"aaaa", "bbbb"}));
  EXPECT_EQ(batches[1], (std::vector<std::string>{"cccc"}));
  EXPECT_EQ(batches[2], (std::vector<std::string>{std::string(20, 'x')}));
  EXPECT_EQ(batches[3], (std::vector<std::string>{"dd"}));
}

TEST(LineBatcherTest, EmptyInput) {
  std::istringstream in("\n\n");
  auto reader = StreamLineReader(in);
  LineBatcher b(*reader);
  std::vector<std::string> batch;
  EXPECT_FALSE(b.Next(&batch));
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(b.skipped_empty(), 2u);
}

TEST(LineBatcherTest, PipeLinesGoOutWithoutWaitingForAFullBatch) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(write(fds[1], "one\ntwo\n", 8), 8);
  auto reader = FdLineReader(fds[0]);
  LineBatcher b(*reader);
  std::vector<std::string> batch;
  // The writer is still open, so a third line is not ready: the batch is cut short.
  ASSERT_TRUE(b.Next(&batch));
  EXPECT_EQ(batch, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(write(fds[1], "three\nfour", 10), 10);
  close(fds[1]);
  ASSERT_TRUE(b.Next(&batch));
  EXPECT_EQ(batch, (std::vector<std::string>{"three", "four"}));
  EXPECT_FALSE(b.Next(&batch));
  EXPECT_FALSE(b.read_error());
  close(fds[0]);
}

TEST(LineBatcherTest, CountMessageLines) {
  std::istringstream in("a\n\nb\r\n\r\nc");
  EXPECT_EQ(CountMessageLines(in), 3u);
}

}  // namespace
}  // namespace cmqctl
