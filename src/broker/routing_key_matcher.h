// Routing-key / binding-key matching of topics with filterType 2 (docs/cmq-api.md 9.3):
// RabbitMQ topic-exchange semantics.
//
// * A key is split on '.' into words. The empty key has zero words; any other empty
//   word ("a..b" -> "a", "", "b") is an ordinary word. The same rule splits binding
//   keys, so the empty binding key matches only the empty routing key.
// * A binding token that is exactly "*" matches one word, exactly "#" zero or more
//   words; any other token (including one merely containing '*' or '#') must equal the
//   word byte for byte. Routing keys are always literal.
//
// Runs in O(tokens x words) time and O(words) space whatever the pattern (no
// backtracking blow-up on "#.#.#..."). Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace cmq::broker {

bool RoutingKeyMatches(std::string_view binding_key, std::string_view routing_key);

}  // namespace cmq::broker
