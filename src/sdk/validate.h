// Argument checks done by the SDK before any network call (docs/cmq-api.md 4, 5.1,
// 6.7, 7.2, 8.2). Each throws CMQClientException(kInvalidArgument) with a message
// naming the argument. They check only what is certain whatever the server's
// configuration (syntax, counts, emptiness); ranges that a server may configure are
// left to the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cmq::sdk {

inline constexpr int kMaxBatch = 16;
inline constexpr int kMaxPeek = 32;  // numOfMsg of PeekMessage
inline constexpr int kMaxPollingWaitSeconds = 30;
inline constexpr size_t kMaxTags = 5;
inline constexpr size_t kMaxTagChars = 16;
inline constexpr size_t kMaxKeyBytes = 64;

// A letter, then up to 63 letters, digits, '-' or '_'. `what` is e.g. "queue name".
void CheckName(std::string_view what, std::string_view name);
void CheckNonEmpty(std::string_view what, std::string_view value);
void CheckBody(std::string_view body);
void CheckBodies(const std::vector<std::string>& bodies);
// 1..16 elements.
void CheckBatchSize(std::string_view what, size_t size);
// numOfMsg of a batch receive (max kMaxBatch) or a peek (max kMaxPeek): 1..max.
void CheckNumOfMsg(int num_of_msg, int max);
void CheckDelay(int delay_seconds);
void CheckPollingWait(std::optional<int> seconds);
// At most 5, each 1..16 characters (UTF-8 code points).
void CheckTags(std::string_view what, const std::vector<std::string>& tags);
// At most 5, each 1..64 bytes.
void CheckBindingKeys(const std::vector<std::string>& keys);
void CheckPaging(std::optional<int> offset, std::optional<int> limit);

[[noreturn]] void ThrowInvalidArgument(std::string message);

}  // namespace cmq::sdk
