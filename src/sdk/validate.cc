#include "sdk/validate.h"

#include "cmq/exceptions.h"

namespace cmq::sdk {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

void ThrowInvalidArgument(std::string message) {
  throw CMQClientException(CMQClientException::Kind::kInvalidArgument, std::move(message));
}

void CheckName(std::string_view what, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && IsAsciiLetter(name[0]);
  for (size_t i = 1; ok && i < name.size(); ++i) {
    char c = name[i];
    ok = IsAsciiLetter(c) || IsAsciiDigit(c) || c == '-' || c == '_';
  }
  if (!ok) {
    ThrowInvalidArgument(std::string(what) + " \"" + std::string(name.substr(0, 80)) +
                         "\" is invalid: it must start with a letter and have at most 64 "
                         "letters, digits, '-' or '_'");
  }
}

void CheckNonEmpty(std::string_view what, std::string_view value) {
  if (value.empty()) ThrowInvalidArgument(std::string(what) + " is empty");
}

void CheckBody(std::string_view body) { CheckNonEmpty("message body", body); }

void CheckBodies(const std::vector<std::string>& bodies) {
  CheckBatchSize("message bodies", bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (bodies[i].empty()) ThrowInvalidArgument("message body " + std::to_string(i) + " is empty");
  }
}

void CheckBatchSize(std::string_view what, size_t size) {
  if (size < 1 || size > static_cast<size_t>(kMaxBatch)) {
    ThrowInvalidArgument(std::string(what) + ": " + std::to_string(size) +
                         " given, a batch holds 1 to 16");
  }
}

void CheckNumOfMsg(int num_of_msg, int max) {
  if (num_of_msg < 1 || num_of_msg > max) {
    ThrowInvalidArgument("numOfMsg " + std::to_string(num_of_msg) + " is outside 1.." +
                         std::to_string(max));
  }
}

void CheckDelay(int delay_seconds) {
  if (delay_seconds < 0) {
    ThrowInvalidArgument("delaySeconds " + std::to_string(delay_seconds) + " is negative");
  }
}

void CheckPollingWait(std::optional<int> seconds) {
  if (seconds && (*seconds < 0 || *seconds > kMaxPollingWaitSeconds)) {
    ThrowInvalidArgument("pollingWaitSeconds " + std::to_string(*seconds) +
                         " is outside 0..30");
  }
}

void CheckTags(std::string_view what, const std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) {
    ThrowInvalidArgument(std::string(what) + ": " + std::to_string(tags.size()) +
                         " given, at most 5 are allowed");
  }
  for (const std::string& tag : tags) {
    if (tag.empty() || CodePoints(tag) > kMaxTagChars) {
      ThrowInvalidArgument(std::string(what) + " \"" + tag.substr(0, 80) +
                           "\" must have 1 to 16 characters");
    }
  }
}

void CheckBindingKeys(const std::vector<std::string>& keys) {
  if (keys.size() > kMaxTags) {
    ThrowInvalidArgument("binding keys: " + std::to_string(keys.size()) +
                         " given, at most 5 are allowed");
  }
  for (const std::string& key : keys) {
    if (key.empty() || key.size() > kMaxKeyBytes) {
      ThrowInvalidArgument("binding key \"" + key.substr(0, 80) + "\" must have 1 to 64 bytes");
    }
  }
}

void CheckPaging(std::optional<int> offset, std::optional<int> limit) {
  if (offset && *offset < 0) {
    ThrowInvalidArgument("offset " + std::to_string(*offset) + " is negative");
  }
  if (limit && *limit < 1) {
    ThrowInvalidArgument("limit " + std::to_string(*limit) + " must be at least 1");
  }
}

}  // namespace cmq::sdk
