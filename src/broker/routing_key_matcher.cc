#include "broker/routing_key_matcher.h"

#include <vector>

namespace cmq::broker {
namespace {

std::vector<std::string_view> SplitWords(std::string_view key) {
  std::vector<std::string_view> words;
  if (key.empty()) return words;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    if (dot == std::string_view::npos) {
      words.push_back(key.substr(start));
      return words;
    }
    words.push_back(key.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

bool RoutingKeyMatches(std::string_view binding_key, std::string_view routing_key) {
  const std::vector<std::string_view> tokens = SplitWords(binding_key);
  const std::vector<std::string_view> words = SplitWords(routing_key);
  const size_t n = words.size();
  // reach[j]: the tokens seen so far can consume exactly the first j words.
  std::vector<char> reach(n + 1, 0);
  std::vector<char> next(n + 1, 0);
  reach[0] = 1;
  for (std::string_view token : tokens) {
    if (token == "#") {
      char any = 0;
      for (size_t j = 0; j <= n; ++j) {
        any = any || reach[j];
        next[j] = any;
      }
    } else {
      next[0] = 0;
      for (size_t j = 0; j < n; ++j) {
        next[j + 1] = reach[j] && (token == "*" || token == words[j]);
      }
    }
    reach.swap(next);
  }
  return reach[n] != 0;
}

}  // namespace cmq::broker
