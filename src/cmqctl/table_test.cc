#include "table.h"

#include <gtest/gtest.h>

namespace cmqctl {
namespace {

TEST(TableTest, AlignsColumnsAndRightAlignsNumbers) {
  Table t({"NAME", "ID", "ACTIVE"});
  t.AddRow({"orders", "queue-1", "5"});
  t.AddRow({"q", "queue-22", "1234"});
  EXPECT_EQ(t.Render(),
            "NAME    ID        ACTIVE\n"
            "orders  queue-1        5\n"
            "q       queue-22    1234\n");
}

TEST(TableTest, NoTrailingSpacesAndMissingCellsAreEmpty) {
  Table t({"A", "B"});
  t.AddRow({"long value"});
  t.AddRow({"x", "y", "dropped"});
  EXPECT_EQ(t.Render(),
            "A           B\n"
            "long value\n"
            "x           y\n");
}

TEST(TableTest, AlignmentOverride) {
  Table t({"N", "V"});
  t.AddRow({"a", "1"});
  t.AddRow({"bb", "22"});
  t.SetRightAligned(1, false);
  t.SetRightAligned(0, true);
  EXPECT_EQ(t.Render(),
            " N  V\n"
            " a  1\n"
            "bb  22\n");
}

TEST(TableTest, HeaderOnlyWhenNoRows) {
  Table t({"NAME", "ID"});
  EXPECT_EQ(t.Render(), "NAME  ID\n");
}

TEST(TableTest, ControlCharactersAreEscapedSoRowsStayOneLine) {
  Table t({"BODY", "N"});
  t.AddRow({"a\nb\tc\x01", "1"});
  EXPECT_EQ(t.Render(),
            "BODY         N\n"
            "a\\nb\\tc\\x01  1\n");
}

TEST(TableTest, WideAndMultiByteCharactersMeasuredInColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("h\xC3\xA9llo"), 5u);              // é is one column
  EXPECT_EQ(DisplayWidth("\xE4\xB8\xAD\xE6\x96\x87"), 4u);  // 中文: two wide characters
  Table t({"NAME", "X"});
  t.AddRow({"\xE4\xB8\xAD\xE6\x96\x87", "1"});
  t.AddRow({"ab", "2"});
  EXPECT_EQ(t.Render(),
            "NAME  X\n"
            "\xE4\xB8\xAD\xE6\x96\x87  1\n"
            "ab    2\n");
}

TEST(TableTest, InvalidUtf8IsEscaped) {
  EXPECT_EQ(EscapeForDisplay("a\xFF"
                             "b"),
            "a\\xffb");
  EXPECT_EQ(EscapeForDisplay("\xC3"), "\\xc3");
}

TEST(TableTest, TruncateAddsEllipsis) {
  EXPECT_EQ(Truncate("hello", 10), "hello");
  EXPECT_EQ(Truncate("hello world", 6), "hello\xE2\x80\xA6");
  EXPECT_EQ(DisplayWidth(Truncate("hello world", 6)), 6u);
  EXPECT_EQ(Truncate("a\nb", 10), "a\\nb");
}

TEST(TableTest, KeyValuesAlignValues) {
  EXPECT_EQ(RenderKeyValues({{"name", "orders"}, {"visibilityTimeout", "30"}, {"empty", ""}}),
            "name:               orders\n"
            "visibilityTimeout:  30\n"
            "empty:\n");
}

}  // namespace
}  // namespace cmqctl
