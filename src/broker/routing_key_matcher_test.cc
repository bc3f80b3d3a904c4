#include "broker/routing_key_matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace cmq::broker {
namespace {

// The normative table of docs/cmq-api.md 9.3, verbatim.
TEST(RoutingKeyMatcherTest, NormativeExamples) {
  struct Case {
    const char* binding;
    const char* routing;
    bool match;
  };
  const Case cases[] = {
      {"1.*.0", "1.x.0", true},
      {"1.*.0", "1.0", false},
      {"1.*.0", "1.a.b.0", false},
      {"1.#.0", "1.0", true},
      {"1.#.0", "1.2.3.4.4.2.2.0", true},
      {"*", "", false},
      {"*", "abc", true},
      {"a.#", "a", true},
      {"#.a", "a", true},
      {"a.*.#", "a", false},
      {"a.*.#", "a.b", true},
      {"route.#", "route.single", true},
      {"a", "A", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RoutingKeyMatches(c.binding, c.routing), c.match)
        << "binding '" << c.binding << "' routing '" << c.routing << "'";
  }
  // "#" matches any key, including "".
  for (const char* key : {"", "a", "a.b", "..", "*", "#", "x.y.z.w", "."}) {
    EXPECT_TRUE(RoutingKeyMatches("#", key)) << key;
  }
}

TEST(RoutingKeyMatcherTest, EmptyWordsAndLiteralWildcards) {
  EXPECT_TRUE(RoutingKeyMatches("a..b", "a..b"));
  EXPECT_TRUE(RoutingKeyMatches("a.*.b", "a..b"));  // the empty middle word is a word
  EXPECT_FALSE(RoutingKeyMatches("a.b", "a..b"));
  EXPECT_TRUE(RoutingKeyMatches("*.*", "."));  // "." is two empty words
  EXPECT_FALSE(RoutingKeyMatches("*", "."));
  EXPECT_TRUE(RoutingKeyMatches("", ""));
  EXPECT_FALSE(RoutingKeyMatches("", "a"));
  EXPECT_FALSE(RoutingKeyMatches("a", ""));
  EXPECT_TRUE(RoutingKeyMatches("a*", "a*"));  // embedded wildcards are literal
  EXPECT_FALSE(RoutingKeyMatches("a*", "ab"));
  EXPECT_FALSE(RoutingKeyMatches("#a", "xa"));
  EXPECT_TRUE(RoutingKeyMatches("#a", "#a"));
  EXPECT_FALSE(RoutingKeyMatches("a", "*"));  // routing keys are literal
  EXPECT_TRUE(RoutingKeyMatches("*", "*"));
  EXPECT_TRUE(RoutingKeyMatches("#.#", ""));
  EXPECT_TRUE(RoutingKeyMatches("#.*.#", "x"));
  EXPECT_FALSE(RoutingKeyMatches("#.*.#", ""));
}

TEST(RoutingKeyMatcherTest, ManyHashesStayFast) {
  std::string binding;
  for (int i = 0; i < 2000; ++i) binding += "#.";
  binding += "z";
  std::string routing;
  for (int i = 0; i < 2000; ++i) routing += "a.";
  routing += "b";
  EXPECT_FALSE(RoutingKeyMatches(binding, routing));
  routing.back() = 'z';
  EXPECT_TRUE(RoutingKeyMatches(binding, routing));
}

// The recursive reference algorithm of 9.3, written independently of the matcher.
std::vector<std::string> Split(const std::string& key) {
  std::vector<std::string> out;
  if (key.empty()) return out;
  std::string cur;
  for (char c : key) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

bool Reference(const std::vector<std::string>& t, size_t i, const std::vector<std::string>& w,
               size_t j) {
  if (i == t.size()) return j == w.size();
  if (t[i] == "#") return Reference(t, i + 1, w, j) || (j < w.size() && Reference(t, i, w, j + 1));
  if (j == w.size()) return false;
  if (t[i] == "*" || t[i] == w[j]) return Reference(t, i + 1, w, j + 1);
  return false;
}

std::string RandomKey(std::mt19937* rng, bool wildcards) {
  static const std::vector<std::string> kWords = {"", "a", "b", "ab"};
  static const std::vector<std::string> kTokens = {"", "a", "b", "ab", "*", "#", "a*", "#b"};
  const auto& pool = wildcards ? kTokens : kWords;
  int n = static_cast<int>((*rng)() % 6);  // 0 words: the empty key
  std::string key;
  for (int i = 0; i < n; ++i) {
    if (i > 0) key += '.';
    key += pool[(*rng)() % pool.size()];
  }
  return key;
}

TEST(RoutingKeyMatcherTest, AgreesWithReferenceOnRandomKeys) {
  std::mt19937 rng(20240611);
  int matches = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string binding = RandomKey(&rng, true);
    // Routing keys mostly from words, sometimes with literal wildcard characters.
    std::string routing = RandomKey(&rng, iter % 5 == 0);
    bool expected = Reference(Split(binding), 0, Split(routing), 0);
    matches += expected;
    ASSERT_EQ(RoutingKeyMatches(binding, routing), expected)
        << "binding '" << binding << "' routing '" << routing << "'";
  }
  // The alphabet is small enough that both outcomes are common.
  EXPECT_GT(matches, 1000);
  EXPECT_LT(matches, 19000);
}

}  // namespace
}  // namespace cmq::broker
