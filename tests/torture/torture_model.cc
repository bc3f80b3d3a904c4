#include "torture/torture_model.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace cmq::torture {
namespace {

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAcked:
      return "acknowledged";
    case Outcome::kRefused:
      return "refused";
    default:
      return "no answer";
  }
}

std::string Shorten(std::string_view s) {
  return s.size() <= 60 ? std::string(s) : std::string(s.substr(0, 60)) + "...";
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string MessageBody(const std::string& id, size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string body = id + ":" + std::to_string(length) + ":";
  uint64_t state = Fnv1a(id);
  for (size_t i = 0; i < length; ++i) body.push_back(kAlphabet[SplitMix(&state) % 62]);
  return body;
}

void Model::AddQueue(const std::string& queue, int visibility_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  visibility_seconds_[queue] = visibility_seconds;
}

void Model::SendIssued(const std::string& queue, const std::vector<std::string>& ids,
                       int delay_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = NowMs();
  for (const std::string& id : ids) {
    Message& m = messages_[id];
    m.queue = queue;
    m.delay_seconds = delay_seconds;
    m.issued_ms = now;
    Note(m, "send to " + queue + (delay_seconds > 0 ? " delayed" : ""));
  }
}

void Model::SendAnswered(const std::vector<std::string>& ids, Outcome outcome,
                         const std::vector<std::string>& msg_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    Message& m = messages_[ids[i]];
    Note(m, OutcomeName(outcome));
    if (outcome == Outcome::kAcked) {
      m.durable = true;
      if (i < msg_ids.size()) m.msg_id = msg_ids[i];
      ++stats_.sends_acked;
    }
    if (outcome == Outcome::kRefused) m.refused = true;
  }
}

void Model::Delivered(const Delivery& d) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.deliveries;
  std::string_view body = d.body;
  size_t colon = body.find(':');
  size_t colon2 = colon == std::string_view::npos ? colon : body.find(':', colon + 1);
  if (colon2 == std::string_view::npos) {
    Fail("phantom in " + d.queue + ": body not sent by this driver: " + Shorten(body));
    return;
  }
  std::string id(body.substr(0, colon));
  auto it = messages_.find(id);
  if (it == messages_.end() || it->second.refused) {
    Fail("phantom in " + d.queue + ": " + id + " was never sent" +
         (it == messages_.end() ? "" : " (its send was refused)"));
    return;
  }
  Message& m = it->second;
  size_t length =
      std::strtoull(std::string(body.substr(colon + 1, colon2 - colon - 1)).c_str(), nullptr, 10);
  if (d.body != MessageBody(id, length)) {
    Fail("corrupted body of " + id + " in " + d.queue + ": " + Shorten(body));
    return;
  }
  if (d.queue != m.queue) Fail(id + " sent to " + m.queue + " but delivered from " + d.queue);
  if (!m.msg_id.empty() && d.msg_id != m.msg_id) {
    Fail(id + " acknowledged as msgId " + m.msg_id + " but delivered as " + d.msg_id);
  }
  if (m.deleted && d.issued_ms > m.deleted_ms) {
    Excusable("acknowledged delete undone: " + id + " in " + d.queue + " delivered by a receive " +
              "issued " + std::to_string(d.issued_ms - m.deleted_ms) +
              " ms after its delete was acknowledged:" + m.history);
  }
  Note(m, "delivered in incarnation " + std::to_string(d.incarnation));
  CheckTiming(id, m, d);
  m.durable = true;
  if (draining_) m.found_in_drain = true;
}

void Model::CheckTiming(const std::string& id, Message& m, const Delivery& d) {
  int64_t due_ms = m.issued_ms + m.delay_seconds * 1000LL;
  if (d.answered_ms + margin_ms_ < due_ms) {
    Fail(id + " delivered " + std::to_string(due_ms - d.answered_ms) + " ms before its delay of " +
         std::to_string(m.delay_seconds) + " s ran out");
  }
  if (scope_ == VisibilityScope::kIncarnation && m.deliveries_incarnation != d.incarnation) {
    m.deliveries.clear();  // a restart may make in-flight messages visible again
    m.deliveries_incarnation = d.incarnation;
  }
  int visibility_seconds = visibility_seconds_[m.queue];
  int64_t invisible_ms = visibility_seconds * 1000LL - margin_ms_;
  for (const Delivery& e : m.deliveries) {
    bool e_first = d.answered_ms >= e.issued_ms + invisible_ms;
    bool d_first = e.answered_ms >= d.issued_ms + invisible_ms;
    if (!e_first && !d_first) {
      Fail(id + " in " + m.queue + " delivered twice within its visibility timeout of " +
           std::to_string(visibility_seconds) + " s in incarnations " +
           std::to_string(e.incarnation) + " and " + std::to_string(d.incarnation) +
           " (receives issued " + std::to_string(d.issued_ms - e.issued_ms) + " ms apart)");
    }
  }
  m.deliveries.push_back(Delivery{{}, {}, {}, d.incarnation, d.issued_ms, d.answered_ms});
}

void Model::DeleteIssued(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Message& m = messages_[id];
  ++m.deletes_in_flight;
  Note(m, "delete");
}

void Model::DeleteAnswered(const std::string& id, Outcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  Message& m = messages_[id];
  --m.deletes_in_flight;
  Note(m, OutcomeName(outcome));
  if (outcome == Outcome::kUnknown) m.maybe_deleted = true;
  if (outcome == Outcome::kAcked && !m.deleted) {
    m.deleted = true;
    m.deleted_ms = NowMs();
    ++stats_.deletes_acked;
  }
}

Model::Range Model::ExpectedCount(const std::string& queue) const {
  std::lock_guard<std::mutex> lock(mu_);
  Range r;
  for (const auto& [id, m] : messages_) {
    if (m.queue != queue || m.refused || m.deleted) continue;
    ++r.max;
    if (m.durable && !m.maybe_deleted && m.deletes_in_flight == 0) ++r.min;
  }
  return r;
}

void Model::BeginFinalDrain() {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
}

void Model::CheckDrained(const std::string& queue) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> lost;
  for (const auto& [id, m] : messages_) {
    if (m.queue == queue && m.durable && !m.deleted && !m.maybe_deleted && !m.found_in_drain) {
      lost.push_back(id);
    }
  }
  if (lost.empty()) return;
  std::string first;
  for (size_t i = 0; i < lost.size() && i < 3; ++i) {
    first += "\n  " + lost[i] + ":" + messages_[lost[i]].history;
  }
  Excusable(
      std::to_string(lost.size()) + " acknowledged messages lost from " + queue + ", e.g." + first,
      static_cast<int64_t>(lost.size()));
}

void Model::SetSalvaged() {
  std::lock_guard<std::mutex> lock(mu_);
  salvaged_ = true;
}

Model::Stats Model::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<std::string> Model::TakeFailures() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(failures_, {});
}

void Model::Fail(const std::string& what) {
  failures_.push_back(what + (kills_.empty() ? "" : "\n  (kills at" + kills_ + ")"));
}

std::string Model::Now() const {
  char when[32];
  snprintf(when, sizeof(when), "%.3f", static_cast<double>(NowMs() - start_ms_) / 1000);
  return when;
}

void Model::Note(Message& m, const std::string& what) {
  // append(), not operator+: GCC 12 reports a false -Wrestrict for " " + std::string.
  m.history.append(" ").append(Now()).append(" ").append(what).append(";");
}

void Model::Killed() {
  std::lock_guard<std::mutex> lock(mu_);
  kills_.append(" ").append(Now());
}

void Model::Excusable(const std::string& what, int64_t count) {
  if (salvaged_) {
    stats_.excused += count;
  } else {
    Fail(what);
  }
}

}  // namespace cmq::torture
