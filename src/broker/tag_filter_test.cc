#include "broker/tag_filter.h"

#include <gtest/gtest.h>

namespace cmq::broker {
namespace {

TEST(TagFilterTest, EmptyFilterAcceptsEverything) {
  EXPECT_TRUE(TagFilterAccepts({}, {}));
  EXPECT_TRUE(TagFilterAccepts({}, {"a"}));
  EXPECT_TRUE(TagFilterAccepts({}, {"a", "b", "c", "d", "e"}));
}

TEST(TagFilterTest, NonEmptyFilterNeverAcceptsUntagged) {
  EXPECT_FALSE(TagFilterAccepts({"a"}, {}));
  EXPECT_FALSE(TagFilterAccepts({"a", "b", "c", "d", "e"}, {}));
}

TEST(TagFilterTest, SetsMustIntersect) {
  EXPECT_TRUE(TagFilterAccepts({"a"}, {"a"}));
  EXPECT_TRUE(TagFilterAccepts({"x", "y", "b"}, {"a", "b"}));
  EXPECT_TRUE(TagFilterAccepts({"b"}, {"a", "b", "c"}));
  EXPECT_FALSE(TagFilterAccepts({"x", "y"}, {"a", "b"}));
}

TEST(TagFilterTest, CaseSensitiveExactComparison) {
  EXPECT_FALSE(TagFilterAccepts({"Tag"}, {"tag"}));
  EXPECT_FALSE(TagFilterAccepts({"tag"}, {"tag "}));
  EXPECT_FALSE(TagFilterAccepts({"ta"}, {"tag"}));
  EXPECT_TRUE(TagFilterAccepts({"Tag"}, {"tag", "Tag"}));
}

}  // namespace
}  // namespace cmq::broker
