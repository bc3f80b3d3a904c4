// The checker of the torture driver: a model of what cmqd has promised, built only
// from operations whose outcome the client saw, and the checks of everything cmqd
// returns against it:
//   * no loss: a message whose send was acknowledged (or that was ever delivered, which
//     cmqd does only once its send is durable) is found again unless a delete of it
//     was acknowledged or may have happened;
//   * no undone delete: a receive issued after a delete was acknowledged never
//     returns that message, in this incarnation or any later one;
//   * no phantom: every body returned was sent, byte for byte (bodies are a function
//     of their id, see MessageBody);
//   * nothing early: a message is not delivered again before its visibility timeout
//     ran out, and never before its delay. Within one incarnation only where a
//     receive may be answered before its record is durable (the embedded journal: a
//     kill then makes the message visible again); across incarnations where every
//     receive is durable before it is answered (the distributed mode: a takeover
//     replays the receive, its visibility deadline included, and the machine has one
//     clock).
// Times are the driver's steady clock in ms; the timing checks allow `margin_ms` for
// the server's clock and rounding. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cmq::torture {

int64_t NowMs();

// "<id>:<length>:<payload>": `length` characters from a generator seeded by `id`
// (which must not contain ':'), so the checker needs to store no body.
std::string MessageBody(const std::string& id, size_t length);

// The outcome of a request as the client saw it.
enum class Outcome {
  kAcked,    // answered code 0
  kRefused,  // answered with an error: nothing changed
  kUnknown,  // no answer (the server died): it may or may not have happened
};

struct Delivery {
  std::string queue;
  std::string body;
  std::string msg_id;
  int incarnation = 0;  // of the server that answered
  int64_t issued_ms = 0;
  int64_t answered_ms = 0;
};

// Which deliveries the visibility check compares (see "nothing early" above).
enum class VisibilityScope { kIncarnation, kAcrossIncarnations };

class Model {
 public:
  explicit Model(VisibilityScope scope = VisibilityScope::kIncarnation, int64_t margin_ms = 250)
      : scope_(scope), margin_ms_(margin_ms) {}

  void AddQueue(const std::string& queue, int visibility_seconds);

  // A send of `ids` into `queue` (or a publish that a subscription delivers there) is
  // about to be issued; then its outcome, with the msgIds of an acknowledged direct
  // send in order (none for a publish: the queue gives its copy a msgId of its own).
  void SendIssued(const std::string& queue, const std::vector<std::string>& ids, int delay_seconds);
  void SendAnswered(const std::vector<std::string>& ids, Outcome outcome,
                    const std::vector<std::string>& msg_ids = {});

  // A message a receive returned; checked at once.
  void Delivered(const Delivery& d);

  void DeleteIssued(const std::string& id);
  void DeleteAnswered(const std::string& id, Outcome outcome);

  // The server was killed (or lost power) now; failure messages list these times.
  void Killed();

  // Between [min, max] messages may be in `queue` (Delayed + Active + Inactive) while
  // no request is in flight.
  struct Range {
    int64_t min = 0;
    int64_t max = 0;
  };
  Range ExpectedCount(const std::string& queue) const;

  // From here on deliveries count as found by the final drain; CheckDrained() then
  // fails for every message that must exist in `queue` and was not found since.
  void BeginFinalDrain();
  void CheckDrained(const std::string& queue);

  // After cmqd skipped damaged journal data (--salvage), losses and undone deletes are
  // what the operator asked for: counted, no longer failures.
  void SetSalvaged();

  struct Stats {
    int64_t sends_acked = 0;
    int64_t deliveries = 0;
    int64_t deletes_acked = 0;
    int64_t excused = 0;  // losses and undone deletes after a salvage
  };
  Stats stats() const;

  // Failures found since the last call, oldest first.
  std::vector<std::string> TakeFailures();

 private:
  struct Message {
    std::string queue;
    int delay_seconds = 0;
    int64_t issued_ms = 0;
    bool durable = false;  // acknowledged or delivered
    bool refused = false;
    std::string msg_id;
    bool deleted = false;  // an acknowledged delete
    int64_t deleted_ms = 0;
    bool maybe_deleted = false;
    int deletes_in_flight = 0;
    bool found_in_drain = false;
    int deliveries_incarnation = -1;
    std::vector<Delivery> deliveries;  // of that incarnation (of all, across incarnations)
    std::string history;               // for failure messages
  };

  // mu_ held. Appends "<seconds since start> <what>" to the message's history.
  void Note(Message& m, const std::string& what);
  std::string Now() const;  // seconds since start, for the histories

  // mu_ held by all three.
  void Fail(const std::string& what);
  void Excusable(const std::string& what, int64_t count = 1);  // `count` cases
  void CheckTiming(const std::string& id, Message& m, const Delivery& d);

  const VisibilityScope scope_;
  const int64_t margin_ms_;
  const int64_t start_ms_ = NowMs();
  mutable std::mutex mu_;
  std::map<std::string, int> visibility_seconds_;
  std::unordered_map<std::string, Message> messages_;
  std::string kills_;  // " <seconds since start>" each
  bool draining_ = false;
  bool salvaged_ = false;
  Stats stats_;
  std::vector<std::string> failures_;
};

}  // namespace cmq::torture
