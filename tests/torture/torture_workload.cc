#include "torture/torture_workload.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "common/json.h"
#include "support/eventually.h"

namespace cmq::torture {
namespace {

using client::Caller;
using client::ClientResult;
using testing::ConnectCaller;
using testing::Step;

constexpr char kRetention[] = "1296000";  // the longest: nothing expires during a run

// CMQ codes a delete may get when its receipt handle is no longer the latest (the
// visibility timeout ran out, or a restart lost the receive): nothing was deleted.
bool StaleHandle(const client::Error& e) {
  return e.is_server() && (e.code == 4430 || e.code == 6010 || e.code == 6020);
}

// 6000: the server cannot serve the request now. In a cluster: the node does not serve
// the partition (yet, or any more), PostgreSQL is unavailable, or a commit's outcome is
// unknown; so it may have happened, and another node may answer.
bool Unavailable(const client::Error& e) { return e.is_server() && e.code == 6000; }

// The outcome of a failed call. After a kept-alive connection closed without an answer,
// the client retries once on a new one and reports that attempt, whose "nothing was
// sent" says nothing about the first: that first attempt may have run.
Outcome OutcomeOf(const client::Error& e, Caller& caller, uint64_t retries_before, bool cluster) {
  bool retried = caller.connection().retries() != retries_before;
  bool unknown = e.outcome_unknown() || (retried && !e.is_server()) || (cluster && Unavailable(e));
  return unknown ? Outcome::kUnknown : Outcome::kRefused;
}

// The server, or the nodes of a cluster taken in turn: after a call that a node could
// not answer (no answer; in a cluster also 6000) the next call goes to the next node.
class Nodes {
 public:
  Nodes(std::vector<std::string> endpoints, bool cluster)
      : endpoints_(std::move(endpoints)),
        cluster_(cluster),
        caller_(ConnectCaller(endpoints_[0])) {}

  // Whether another node (or a later attempt) may answer what `e` refused.
  bool Retryable(const client::Error& e) const {
    return cluster_ && (!e.is_server() || Unavailable(e));
  }

  ClientResult<JsonValue> Call(std::string_view action, ParamList params,
                               int64_t extra_read_timeout_ms = 0) {
    auto r = caller_.Call(action, std::move(params), extra_read_timeout_ms);
    if (!r.ok() && Retryable(r.error())) {
      turn_ = (turn_ + 1) % endpoints_.size();
      caller_ = ConnectCaller(endpoints_[turn_]);
    }
    return r;
  }

  // An idempotent call, repeated while no node can answer it (at most 60 s: a takeover
  // takes a lease or two).
  ClientResult<JsonValue> Read(std::string_view action, const ParamList& params) {
    std::optional<ClientResult<JsonValue>> r;
    testing::Eventually([&] {
      r = Call(action, params);
      return r->ok() || !Retryable(r->error());
    });
    return std::move(*r);
  }

 private:
  const std::vector<std::string> endpoints_;
  const bool cluster_;
  size_t turn_ = 0;
  Caller caller_;
};

size_t BodyLength(std::mt19937_64& rng) {
  int r = Between(rng, 0, 99);
  if (r < 50) return Between(rng, 16, 200);
  if (r < 80) return Between(rng, 1000, 3000);
  return 10240;  // with 1 MiB segments a hundred of these roll a segment
}

// The "msgInfoList" of a batch receive, or the single message of ReceiveMessage.
std::vector<const JsonValue*> ReceivedMessages(const JsonValue& response) {
  std::vector<const JsonValue*> out;
  if (const JsonValue* list = response.Find("msgInfoList")) {
    for (const JsonValue& m : list->items()) out.push_back(&m);
  } else {
    out.push_back(&response);
  }
  return out;
}

// Delayed + Active + Inactive messages of `queue`; a failure reported if unreadable.
std::optional<int64_t> HeldMessages(Nodes& nodes, const std::string& queue) {
  auto attrs = nodes.Read("GetQueueAttributes", {{"queueName", queue}});
  if (!attrs.ok()) {
    ADD_FAILURE() << "GetQueueAttributes " << queue << ": " << attrs.error().ToString();
    return std::nullopt;
  }
  return *attrs->Find("activeMsgNum")->as_int() + *attrs->Find("inactiveMsgNum")->as_int() +
         *attrs->Find("delayMsgNum")->as_int();
}

}  // namespace

int Between(std::mt19937_64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

WorkloadSpec DrawWorkload(std::mt19937_64& rng, std::string id_prefix) {
  WorkloadSpec spec;
  spec.topic = "tt";
  spec.id_prefix = std::move(id_prefix);
  spec.seed = rng();
  spec.queues = {{"tq-a", Between(rng, 1, 2), true, false},
                 {"tq-b", Between(rng, 2, 3), true, false},
                 {"tq-keep", 1, false, false},
                 {"tq-sub", Between(rng, 1, 3), true, true}};
  return spec;
}

std::unique_ptr<IncarnationGate::Ticket> IncarnationGate::Enter() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !closed_; });
  ++holders_;
  return std::make_unique<Ticket>(this, incarnation_);
}

void IncarnationGate::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  --holders_;
  cv_.notify_all();
}

void IncarnationGate::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  closed_ = true;
  cv_.wait(lock, [&] { return holders_ == 0; });
  ++incarnation_;
}

void IncarnationGate::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = false;
  cv_.notify_all();
}

int IncarnationGate::incarnation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return incarnation_;
}

bool SetUpQueues(const std::string& endpoint, const WorkloadSpec& spec) {
  Caller caller = ConnectCaller(endpoint);
  auto call = [&](std::string_view action, ParamList params) {
    auto r = caller.Call(action, std::move(params));
    EXPECT_TRUE(r.ok()) << action << ": " << r.error().ToString();
    return r.ok();
  };
  if (!call("CreateTopic", {{"topicName", spec.topic}})) return false;
  for (const QueueSpec& q : spec.queues) {
    if (!call("CreateQueue", {{"queueName", q.name},
                              {"visibilityTimeout", std::to_string(q.visibility_seconds)},
                              {"msgRetentionSeconds", kRetention}})) {
      return false;
    }
    if (q.subscribed && !call("Subscribe", {{"topicName", spec.topic},
                                            {"subscriptionName", "to-" + q.name},
                                            {"protocol", "queue"},
                                            {"endpoint", q.name}})) {
      return false;
    }
  }
  return true;
}

Workload::Workload(WorkloadSpec spec, Model* model, IncarnationGate* gate,
                   testing::ServerHandle* handle)
    : spec_(std::move(spec)), model_(model), gate_(gate) {
  for (const QueueSpec& q : spec_.queues) model_->AddQueue(q.name, q.visibility_seconds);
  int threads = spec_.producers + spec_.consumers;
  state_.resize(threads);
  for (int i = 0; i < threads; ++i) state_[i].rng.seed(spec_.seed * 31 + i);
  threads_ =
      std::make_unique<testing::ClientThreads>(*handle, threads, [this](int id, Caller& caller) {
        Thread& t = state_[id];
        return id < spec_.producers ? Produce(t, caller) : Consume(t, caller);
      });
}

Workload::~Workload() { Stop(); }

Step Workload::AfterFailure(const client::Error& error) const {
  if (spec_.cluster && Unavailable(error)) return Step::kServerDown;  // try the next node
  return testing::AfterFailure(error);
}

void Workload::Stop() {
  if (threads_) threads_->Stop();
}

Step Workload::Produce(Thread& t, Caller& caller) {
  auto ticket = gate_->Enter();
  int kind = Between(t.rng, 0, 99);
  bool publish = kind >= 75;
  bool batch = publish ? kind >= 90 : kind >= 40;
  // One direct send in 25 goes to a queue nobody consumes: few enough that segments
  // become sparse and reclamation copies them forward.
  bool to_unconsumed = !publish && Between(t.rng, 0, 24) == 0;
  std::vector<const QueueSpec*> targets;
  for (const QueueSpec& q : spec_.queues) {
    if (q.subscribed == publish && q.consumed != to_unconsumed) targets.push_back(&q);
  }
  if (targets.empty()) return Step::kNext;
  const QueueSpec& queue = *targets[t.rng() % targets.size()];
  int delay = !publish && Between(t.rng, 0, 9) == 0 ? Between(t.rng, 1, 2) : 0;
  int n = batch ? Between(t.rng, 2, publish ? 8 : 16) : 1;
  std::string_view action = publish ? (batch ? "BatchPublishMessage" : "PublishMessage")
                                    : (batch ? "BatchSendMessage" : "SendMessage");
  ParamList params;
  if (publish) {
    params.emplace_back("topicName", spec_.topic);
  } else {
    params = {{"queueName", queue.name}, {"delaySeconds", std::to_string(delay)}};
  }
  std::vector<std::string> ids;
  for (int k = 0; k < n; ++k) {
    ids.push_back(spec_.id_prefix + "." + std::to_string(&t - state_.data()) + "." +
                  std::to_string(t.next_id++));
    params.emplace_back(batch ? "msgBody." + std::to_string(k + 1) : "msgBody",
                        MessageBody(ids.back(), BodyLength(t.rng)));
  }
  model_->SendIssued(queue.name, ids, delay);
  uint64_t retries = caller.connection().retries();
  auto sent = caller.Call(action, params);
  if (!sent.ok()) {
    model_->SendAnswered(ids, OutcomeOf(sent.error(), caller, retries, spec_.cluster));
    return AfterFailure(sent.error());
  }
  std::vector<std::string> msg_ids;
  if (!publish && batch) {
    for (const JsonValue& m : sent->Find("msgList")->items()) {
      msg_ids.push_back(m.Find("msgId")->as_string());
    }
  } else if (!publish) {
    msg_ids.push_back(sent->Find("msgId")->as_string());
  }
  model_->SendAnswered(ids, Outcome::kAcked, msg_ids);
  ++acked_;
  return Step::kNext;
}

Step Workload::Consume(Thread& t, Caller& caller) {
  if (!t.late.empty() && Between(t.rng, 0, 3) == 0) {
    // Late deletes, of one queue in one request: some handles have expired meanwhile
    // or belong to an earlier incarnation, so parts of the batch may be refused.
    std::string queue = t.late[t.rng() % t.late.size()].queue;
    std::vector<Received> late;
    for (auto it = t.late.begin(); it != t.late.end() && late.size() < 16;) {
      if (it->queue == queue) {
        late.push_back(*it);
        it = t.late.erase(it);
      } else {
        ++it;
      }
    }
    return Delete(caller, late);
  }
  std::vector<const QueueSpec*> sources;
  for (const QueueSpec& q : spec_.queues) {
    if (q.consumed) sources.push_back(&q);
  }
  const QueueSpec& queue = *sources[t.rng() % sources.size()];
  bool batch = Between(t.rng, 0, 1) == 1;
  int wait = Between(t.rng, 0, 2);
  ParamList params = {{"queueName", queue.name}, {"pollingWaitSeconds", std::to_string(wait)}};
  if (batch) params.emplace_back("numOfMsg", std::to_string(Between(t.rng, 1, 16)));
  auto ticket = gate_->Enter();
  Delivery d;
  d.queue = queue.name;
  d.incarnation = ticket->incarnation();
  d.issued_ms = NowMs();
  auto got = caller.Call(batch ? "BatchReceiveMessage" : "ReceiveMessage", params, wait * 1000);
  d.answered_ms = NowMs();
  if (!got.ok()) return got.error().is_no_message() ? Step::kNext : AfterFailure(got.error());
  std::vector<Received> now;
  for (const JsonValue* m : ReceivedMessages(*got)) {
    d.body = m->Find("msgBody")->as_string();
    d.msg_id = m->Find("msgId")->as_string();
    model_->Delivered(d);
    Received r{queue.name, d.body.substr(0, d.body.find(':')),
               m->Find("receiptHandle")->as_string()};
    int fate = Between(t.rng, 0, 99);
    if (fate < 70) {
      now.push_back(r);
    } else if (fate < 85) {
      t.late.push_back(r);
    }  // else never deleted: it comes back after its visibility timeout
  }
  ticket.reset();
  return now.empty() ? Step::kNext : Delete(caller, now);
}

Step Workload::Delete(Caller& caller, const std::vector<Received>& messages) {
  auto ticket = gate_->Enter();
  bool batch = messages.size() > 1;
  ParamList params = {{"queueName", messages.front().queue}};
  for (size_t k = 0; k < messages.size(); ++k) {
    params.emplace_back(batch ? "receiptHandle." + std::to_string(k + 1) : "receiptHandle",
                        messages[k].receipt_handle);
    model_->DeleteIssued(messages[k].id);
  }
  uint64_t retries = caller.connection().retries();
  auto deleted = caller.Call(batch ? "BatchDeleteMessage" : "DeleteMessage", params);
  if (!deleted.ok() && !StaleHandle(deleted.error())) {
    Outcome outcome = OutcomeOf(deleted.error(), caller, retries, spec_.cluster);
    for (const Received& m : messages) model_->DeleteAnswered(m.id, outcome);
    return AfterFailure(deleted.error());
  }
  // A partial failure lists the refused handles; otherwise all were refused. A handle
  // may come twice: a receive whose record a crash lost hands out the same handle
  // again after the restart. The server deletes with the first and refuses the
  // second, so refusals are counted, not looked up.
  std::map<std::string, int> refused;
  if (!deleted.ok()) {
    const JsonValue* list = deleted.error().response.Find("errorList");
    for (const Received& m : messages) {
      if (list == nullptr) ++refused[m.receipt_handle];
    }
    for (size_t i = 0; list != nullptr && i < list->items().size(); ++i) {
      ++refused[list->items()[i].Find("receiptHandle")->as_string()];
    }
  }
  for (const Received& m : messages) {
    bool ok = refused[m.receipt_handle] == 0;
    if (!ok) --refused[m.receipt_handle];
    model_->DeleteAnswered(m.id, ok ? Outcome::kAcked : Outcome::kRefused);
    if (ok) ++acked_;
  }
  return Step::kNext;
}

bool DrainAll(const std::vector<std::string>& endpoints, const WorkloadSpec& spec, Model* model,
              int incarnation) {
  Nodes nodes(endpoints, spec.cluster);
  for (const QueueSpec& q : spec.queues) {
    // Bounded only to turn a hang into a failure: the longest visibility timeout
    // here is a few seconds.
    int64_t give_up_ms = NowMs() + 120000;
    while (true) {
      std::optional<int64_t> left = HeldMessages(nodes, q.name);
      if (!left) return false;
      if (*left == 0) break;
      if (NowMs() > give_up_ms) {
        ADD_FAILURE() << "drain of " << q.name << " did not finish: " << *left << " messages left";
        return false;
      }
      Delivery d;
      d.queue = q.name;
      d.incarnation = incarnation;
      d.issued_ms = NowMs();
      auto got = nodes.Call(
          "BatchReceiveMessage",
          {{"queueName", q.name}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "1"}}, 1000);
      d.answered_ms = NowMs();
      if (!got.ok()) {
        if (got.error().is_no_message() || nodes.Retryable(got.error())) continue;
        ADD_FAILURE() << "drain receive " << q.name << ": " << got.error().ToString();
        return false;
      }
      ParamList params = {{"queueName", q.name}};
      std::vector<std::string> ids;
      for (const JsonValue* m : ReceivedMessages(*got)) {
        d.body = m->Find("msgBody")->as_string();
        d.msg_id = m->Find("msgId")->as_string();
        model->Delivered(d);
        ids.push_back(d.body.substr(0, d.body.find(':')));
        params.emplace_back("receiptHandle." + std::to_string(ids.size()),
                            m->Find("receiptHandle")->as_string());
        model->DeleteIssued(ids.back());
      }
      auto deleted = nodes.Call("BatchDeleteMessage", params);
      // A refused delete (the handle outlived a very slow round) leaves the message
      // for the next round; one a node could not answer may have happened.
      Outcome outcome = deleted.ok()                       ? Outcome::kAcked
                        : nodes.Retryable(deleted.error()) ? Outcome::kUnknown
                                                           : Outcome::kRefused;
      for (const std::string& id : ids) model->DeleteAnswered(id, outcome);
    }
  }
  return true;
}

void CheckCounts(const std::vector<std::string>& endpoints, const WorkloadSpec& spec,
                 Model* model) {
  Nodes nodes(endpoints, spec.cluster);
  for (const QueueSpec& q : spec.queues) {
    std::optional<int64_t> held = HeldMessages(nodes, q.name);
    if (!held) continue;
    Model::Range range = model->ExpectedCount(q.name);
    EXPECT_TRUE(*held >= range.min && *held <= range.max)
        << "after restart " << q.name << " holds " << *held << " messages; acknowledged state "
        << "allows " << range.min << " to " << range.max
        << (*held < range.min ? " (acknowledged messages lost)" : " (phantoms or undone deletes)");
  }
}

}  // namespace cmq::torture
