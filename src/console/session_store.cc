#include "console/session_store.h"

#include <algorithm>
#include <utility>

#include "common/strings.h"

namespace cmq::console {
namespace {

constexpr size_t kSecretBytes = 16;  // 128 bits, for the id and the token alike

}  // namespace

void SessionStore::EndExpiredAndOldest(int64_t now_ms) {
  std::erase_if(sessions_, [&](const auto& entry) { return Expired(entry.second, now_ms); });
  if (sessions_.size() < options_.max_sessions || sessions_.empty()) return;
  auto oldest = std::min_element(
      sessions_.begin(), sessions_.end(),
      [](const auto& a, const auto& b) { return a.second.last_used_ms < b.second.last_used_ms; });
  sessions_.erase(oldest);
}

const Session& SessionStore::Open(uint64_t account, std::string secret_id) {
  int64_t now = clock_->NowMs();
  // A login is rare: a pass over the sessions is cheap next to it, and keeps the store
  // within its cap without a timer.
  EndExpiredAndOldest(now);
  Session session{RandomHex(kSecretBytes), RandomHex(kSecretBytes), account, std::move(secret_id),
                  now};
  std::string id = session.id;
  return sessions_.insert_or_assign(std::move(id), std::move(session)).first->second;
}

const Session* SessionStore::Use(std::string_view id) {
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return nullptr;
  int64_t now = clock_->NowMs();
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_used_ms = now;
  return &it->second;
}

void SessionStore::Close(std::string_view id) { sessions_.erase(std::string(id)); }

}  // namespace cmq::console
