#include "torture/takeover_run.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pglog/schema.h"
#include "support/crash_support.h"
#include "support/eventually.h"
#include "support/patroni_cluster.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "torture/torture_checks.h"
#include "torture/torture_cluster.h"
#include "torture/torture_model.h"
#include "torture/torture_moment.h"
#include "torture/torture_workload.h"

namespace cmq::torture {
namespace {

using testing::ConnectCaller;
using testing::Eventually;
using testing::ServerHandle;
using testing::TailOf;

// Short leases so that a takeover comes within seconds (cmqd wants a lease of at least
// twice the statement timeout).
constexpr int kLeaseMs = 1500;
constexpr int kPostgresTimeoutMs = 500;
// Only turns a hang into a failure: a takeover takes a lease or two.
constexpr int64_t kServingLimitMs = 60000;

// How the nodes of one cluster run.
struct ClusterSettings {
  // 3: after the owner's death a node that does not take over is left, and requests
  // through it must find the new owner.
  int nodes = 2;
  int segment_size_mb = 1;
  int ride_along_ms = 5;
  int cache_mb = 256;  // 1: only the current segment stays in memory; reads of older
                       // ones go to PostgreSQL
  int kills = 3;       // before the cluster is drained and dropped

  static ClusterSettings Random(std::mt19937_64& rng, const TakeoverOptions& options) {
    ClusterSettings s;
    const int sizes[] = {1, 1, 1, 2};
    s.segment_size_mb = sizes[rng() % 4];
    s.ride_along_ms = Between(rng, 0, 10);
    s.cache_mb = Between(rng, 0, 1) == 0 ? 1 : 256;
    s.kills = Between(rng, 2, 4);
    s.nodes = Between(rng, 2, 3);
    if (options.segment_size_mb > 0) s.segment_size_mb = options.segment_size_mb;
    return s;
  }

  std::vector<std::string> Args() const {
    return {"--lease-ms",
            std::to_string(kLeaseMs),
            "--postgres-timeout-ms",
            std::to_string(kPostgresTimeoutMs),
            "--segment-size-mb",
            std::to_string(segment_size_mb),
            "--ride-along-ms",
            std::to_string(ride_along_ms),
            "--postgres-cache-mb",
            std::to_string(cache_mb)};
  }

  std::string ToString() const {
    std::string s = std::to_string(nodes) + " nodes ";
    for (const std::string& a : Args()) s += a + " ";
    return s + "(" + std::to_string(kills) + " kills)";
  }
};

// One database, its nodes, the clients, and the model of what was acknowledged.
struct Cluster {
  Cluster(std::string dsn, const ClusterSettings& s)
      : settings(s), nodes(std::move(dsn), s.nodes, s.Args()), output_seen(s.nodes, 0) {}

  ClusterSettings settings;
  TortureCluster nodes;
  std::vector<size_t> output_seen;  // per node: its output checked for sanitizer reports
  int failures_before = 0;          // of the test, when the cluster started
  // Every receive is committed before it is answered, and a takeover replays it:
  // visibility holds across kills and takeovers (torture_model.h).
  Model model{VisibilityScope::kAcrossIncarnations};
  IncarnationGate gate;
  ServerHandle handle;
  WorkloadSpec spec;
  std::unique_ptr<Workload> workload;  // last: its threads use everything above
  int kills_done = 0;
};

// Kill-to-serving times seen, for the log; never asserted.
struct TakeoverTimes {
  std::vector<int64_t> by_standby;    // a node that stood by claimed the partition
  std::vector<int64_t> by_restarted;  // the killed node, restarted, claimed again first
  std::vector<int64_t> failover;      // the PostgreSQL primary's death to a committed write

  static std::string List(std::vector<int64_t> ms) {
    if (ms.empty()) return "none";
    std::sort(ms.begin(), ms.end());
    return std::to_string(ms.size()) + " (min " + std::to_string(ms.front()) + ", median " +
           std::to_string(ms[ms.size() / 2]) + ", max " + std::to_string(ms.back()) + ")";
  }
};

class TakeoverRun {
 public:
  // `patroni`: the database's cluster when the cycles kill its primary; else null.
  TakeoverRun(uint64_t seed, int cycles, const TakeoverOptions& options,
              testing::PatroniCluster* patroni)
      : seed_(seed), cycles_(cycles), options_(options), patroni_(patroni), rng_(seed) {}

  void Go() {
    for (int cycle = 1; cycle <= cycles_; ++cycle) {
      if (!cluster_ && !StartCluster()) {
        EndCluster();
        continue;
      }
      int failures = FailureCount();
      Cycle(cycle);
      if (FailureCount() > failures) {
        printf("torture: seed %llu cycle %d FAILED; the cluster is dropped\n", Seed(), cycle);
        EndCluster();
      }
    }
    if (cluster_) Finish();
    if (patroni_ != nullptr) {
      printf(
          "torture: seed %llu failover times, the primary's death to a committed write, in "
          "ms: %s\n",
          Seed(), TakeoverTimes::List(times_.failover).c_str());
    } else {
      printf(
          "torture: seed %llu takeover times, kill -9 to serving, in ms: by a standby %s; "
          "by the killed node restarted at once %s\n",
          Seed(), TakeoverTimes::List(times_.by_standby).c_str(),
          TakeoverTimes::List(times_.by_restarted).c_str());
    }
    fflush(stdout);
  }

 private:
  unsigned long long Seed() const { return static_cast<unsigned long long>(seed_); }

  bool StartCluster() {
    ++clusters_;
    std::string dsn =
        patroni_ != nullptr ? patroni_->CreateDatabase() : testing::FreshDatabaseDsn();
    if (dsn.empty()) return false;  // the failure says why
    ClusterSettings settings = ClusterSettings::Random(rng_, options_);
    cluster_ = std::make_unique<Cluster>(dsn, settings);
    Cluster& c = *cluster_;
    c.failures_before = FailureCount();
    printf("torture: seed %llu cluster %d: %s\n", Seed(), clusters_, settings.ToString().c_str());
    // node-a first: it claims the fresh partition; the others stand by.
    for (int i = 0; i < c.nodes.size(); ++i) {
      if (!c.nodes.node(i).Start()) {
        ADD_FAILURE() << c.nodes.node_id(i) << " did not start:\n"
                      << TailOf(c.nodes.node(i).output());
        return false;
      }
    }
    c.spec = DrawWorkload(rng_, "s" + std::to_string(seed_) + "c" + std::to_string(clusters_));
    c.spec.cluster = true;
    std::optional<TortureCluster::Owner> owner = LiveOwner();
    if (!owner || !SetUpQueues(c.nodes.node(owner->node).endpoint(), c.spec)) return false;
    PointClients();
    c.workload = std::make_unique<Workload>(c.spec, &c.model, &c.gate, &c.handle);
    return true;
  }

  // Stops the clients and the nodes; the database stays with the server.
  void EndCluster() {
    if (!cluster_) return;
    Cluster& c = *cluster_;
    ReportModelFailures(c.model);
    if (FailureCount() > c.failures_before) {
      for (int i = 0; i < c.nodes.size(); ++i) {
        printf("torture: what %s printed last:\n%s\n", c.nodes.node_id(i).c_str(),
               TailOf(c.nodes.node(i).output()).c_str());
      }
    }
    for (int i = 0; i < c.nodes.size(); ++i) c.nodes.node(i).Kill9();  // before the gate opens
    c.gate.Open();  // clients blocked in the gate must see the stop
    c.workload.reset();
    cluster_.reset();
  }

  void Cycle(int cycle) {
    Cluster& c = *cluster_;
    Trigger trigger = static_cast<Trigger>(rng_() % 3);
    int64_t target = Between(rng_, 20, 300);
    bool restart_at_once = Between(rng_, 0, 2) == 0;
    std::string moment = WaitForKillMoment(trigger, target);
    std::optional<TortureCluster::Owner> owner = LiveOwner();
    if (!owner) return;
    std::string killed;  // what, for the log
    std::string outcome;
    std::optional<int64_t> serving_ms;
    std::optional<TortureCluster::Owner> now;
    if (patroni_ != nullptr) {
      testing::PatroniMember primary;
      if (::testing::AssertionResult done = patroni_->KillPrimary(&primary); !done) {
        ADD_FAILURE() << done.message();
        return;
      }
      int64_t killed_ms = NowMs();
      c.model.Killed();
      ++c.kills_done;
      killed = "the PostgreSQL primary " + primary.name + " (" + c.nodes.node_id(owner->node) +
               " owned the partition, epoch " + std::to_string(owner->epoch) + ")";
      serving_ms = WaitUntilWritable(killed_ms);
      if (!serving_ms) return;
      times_.failover.push_back(*serving_ms);
      // The killed instance comes back, under load, as a replica of the new primary:
      // the next cycle's kill leaves a synchronous standby to promote.
      if (::testing::AssertionResult back = patroni_->StartAgain(); !back) {
        ADD_FAILURE() << back.message();
        return;
      }
      now = LiveOwner();
      if (!now) return;
      outcome = "a write committed " + std::to_string(*serving_ms) + " ms after the kill; " +
                primary.name + " back as a replica";
    } else {
      int victim = owner->node;
      c.nodes.node(victim).Kill9();
      int64_t killed_ms = NowMs();
      c.model.Killed();
      ++c.kills_done;
      killed = c.nodes.node_id(victim) + " (owner, epoch " + std::to_string(owner->epoch) + ")";
      PointClients();
      CheckSanitizerReports(c.nodes.node(victim).output(), &c.output_seen[victim]);
      if (restart_at_once && !RestartNode(victim)) return;
      serving_ms = WaitUntilServing(killed_ms);
      if (!serving_ms) return;
      now = LiveOwner();
      if (!now) return;
      // Whoever serves after the owner's death claimed the partition since: a new epoch.
      EXPECT_GT(now->epoch, owner->epoch) << c.nodes.node_id(now->node) << " serves";
      (now->node == victim ? times_.by_restarted : times_.by_standby).push_back(*serving_ms);
      outcome = "served " + std::to_string(*serving_ms) + " ms after the kill (" +
                (restart_at_once ? "the killed node restarted at once"
                                 : "the killed node restarted then") +
                ")";
      if (!restart_at_once && !RestartNode(victim)) return;
    }
    for (int i = 0; i < c.nodes.size(); ++i) {
      CheckSanitizerReports(c.nodes.node(i).output(), &c.output_seen[i]);
    }

    // A quiet moment: the counts are read while no client request is in flight.
    c.gate.Close();
    int failures = FailureCount();
    CheckCounts(RouteEndpoints(), c.spec, &c.model);
    ReportModelFailures(c.model);
    std::string route = PointClients();
    Model::Stats stats = c.model.stats();
    auto segments = c.nodes.ReadSegments();
    printf(
        "torture: seed %llu cycle %d/%d cluster %d kill %d/%d: kill -9 of %s after %s; %s; "
        "%s serves epoch %llu; clients through %s; %lld sends, %lld deliveries, %lld deletes "
        "acknowledged so far; log %s\n",
        Seed(), cycle, cycles_, clusters_, c.kills_done, c.settings.kills, killed.c_str(),
        moment.c_str(), outcome.c_str(), c.nodes.node_id(now->node).c_str(),
        static_cast<unsigned long long>(now->epoch), route.c_str(),
        static_cast<long long>(stats.sends_acked),
        static_cast<long long>(stats.deliveries), static_cast<long long>(stats.deletes_acked),
        segments.ok() ? segments->ToString().c_str() : segments.status().ToString().c_str());
    fflush(stdout);
    if (FailureCount() > failures) {
      DrainAndCheck();  // which messages
      return;
    }
    c.gate.Open();
    if (c.kills_done == c.settings.kills) Finish();
  }

  // Waits for the moment to kill (torture_moment.h), watching the partition's segment
  // tables in PostgreSQL.
  std::string WaitForKillMoment(Trigger trigger, int64_t target) {
    Cluster& c = *cluster_;
    auto base = c.nodes.ReadSegments();
    SegmentWatch watch = [&](int64_t wait_ms) -> std::string {
      // Polling the database; not a timing assertion.
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      auto now = c.nodes.ReadSegments();
      if (!base.ok() || !now.ok()) return "";
      if (trigger == Trigger::kSegmentCreated && now->last > base->last) {
        return pglog::SegmentTable(0, static_cast<uint32_t>(now->last));
      }
      if (trigger == Trigger::kSegmentRemoved && base->count > 0 && now->first > base->first) {
        return pglog::SegmentTable(0, static_cast<uint32_t>(base->first));
      }
      return "";
    };
    return torture::WaitForKillMoment(trigger, target, *c.workload, watch);
  }

  // The partition's owner once a running node holds a live lease.
  std::optional<TortureCluster::Owner> LiveOwner() {
    Cluster& c = *cluster_;
    Result<TortureCluster::Owner> owner = Status(ErrorCode::kNotFound, "not read yet");
    bool live = Eventually(
        [&] {
          owner = c.nodes.ReadOwner();
          return owner.ok() && owner->node >= 0 && owner->lease_live &&
                 c.nodes.node(owner->node).running();
        },
        kServingLimitMs);
    if (live) return *owner;
    ADD_FAILURE() << "no running node holds the partition's lease after " << kServingLimitMs / 1000
                  << " s: "
                  << (owner.ok() ? "owner " + std::to_string(owner->node) + ", epoch " +
                                       std::to_string(owner->epoch)
                                 : owner.status().ToString());
    return std::nullopt;
  }

  // How long after `killed_ms` a node answered a request again.
  std::optional<int64_t> WaitUntilServing(int64_t killed_ms) {
    Cluster& c = *cluster_;
    bool serving = Eventually(
        [&] {
          for (const std::string& endpoint : c.nodes.Endpoints()) {
            client::Caller caller = ConnectCaller(endpoint);
            if (caller.Call("ListQueue", {}).ok()) return true;
          }
          return false;
        },
        kServingLimitMs);
    if (serving) return NowMs() - killed_ms;
    ADD_FAILURE() << "no node serves the partition " << kServingLimitMs / 1000
                  << " s after its owner was killed";
    return std::nullopt;
  }

  // How long after `killed_ms` (the PostgreSQL primary's death) a change was committed
  // again: a probe queue made and deleted through the clients' nodes. A read would not
  // do: the owner answers reads from memory while the database is away.
  std::optional<int64_t> WaitUntilWritable(int64_t killed_ms) {
    const std::string probe = "torture-probe";
    // Either answer means the change was committed (an earlier try's may have been).
    auto done = [](const client::ClientResult<JsonValue>& r, int code_if_done) {
      return r.ok() || (r.error().is_server() && r.error().code == code_if_done);
    };
    bool created = false, writable = false;
    int64_t writable_ms = 0;
    bool ok = Eventually(
        [&] {
          for (const std::string& endpoint : RouteEndpoints()) {
            client::Caller caller = ConnectCaller(endpoint);
            if (!created) {
              created = done(caller.Call("CreateQueue", {{"queueName", probe}}), 4460);
              if (!created) continue;
              writable = true;
              writable_ms = NowMs() - killed_ms;
            }
            if (done(caller.Call("DeleteQueue", {{"queueName", probe}}), 4440)) return true;
          }
          return false;
        },
        kServingLimitMs);
    if (ok) return writable_ms;
    ADD_FAILURE() << "no change committed " << kServingLimitMs / 1000
                  << " s after the PostgreSQL primary was killed"
                  << (writable ? " (the probe queue was made, not deleted)" : "") << ":\n"
                  << patroni_->Describe();
    return std::nullopt;
  }

  bool RestartNode(int i) {
    Cluster& c = *cluster_;
    if (!c.nodes.node(i).Start()) {
      ADD_FAILURE() << c.nodes.node_id(i) << " did not restart:\n"
                    << TailOf(c.nodes.node(i).output());
      return false;
    }
    PointClients();
    return true;
  }

  // The running nodes the clients (and the driver's drains and counts) use now.
  std::vector<int> RouteNodes() {
    Cluster& c = *cluster_;
    auto owner = c.nodes.ReadOwner();
    std::vector<int> running, others;
    for (int i = 0; i < c.nodes.size(); ++i) {
      if (!c.nodes.node(i).running()) continue;
      running.push_back(i);
      if (!(owner.ok() && owner->node == i)) others.push_back(i);
    }
    // No non-owner runs: the owner answers itself.
    return options_.route == Route::kAnyNode || others.empty() ? running : others;
  }

  std::vector<std::string> RouteEndpoints() {
    std::vector<std::string> endpoints;
    for (int i : RouteNodes()) endpoints.push_back(cluster_->nodes.node(i).endpoint());
    return endpoints;
  }

  // Points the clients at RouteNodes(); returns their ids, for the log.
  std::string PointClients() {
    Cluster& c = *cluster_;
    std::vector<std::string> endpoints;
    std::string ids;
    for (int i : RouteNodes()) {
      endpoints.push_back(c.nodes.node(i).endpoint());
      ids += (ids.empty() ? "" : ",") + c.nodes.node_id(i);
    }
    if (!endpoints.empty()) c.handle.SetAll(std::move(endpoints));
    return ids;
  }

  // Reads every queue empty with the strict checks, then fails for every message that
  // must exist and was not found.
  void DrainAndCheck() {
    Cluster& c = *cluster_;
    c.model.BeginFinalDrain();
    if (DrainAll(RouteEndpoints(), c.spec, &c.model, c.gate.incarnation())) {
      for (const QueueSpec& q : c.spec.queues) c.model.CheckDrained(q.name);
    }
  }

  // The end of a cluster: stop the clients, read every queue empty, check that nothing
  // acknowledged is missing, stop the nodes gracefully.
  void Finish() {
    Cluster& c = *cluster_;
    c.workload->Stop();
    DrainAndCheck();
    for (int i = 0; i < c.nodes.size(); ++i) {
      testing::CmqdProcess& node = c.nodes.node(i);
      if (!node.running()) continue;
      EXPECT_EQ(node.Terminate(), 0) << c.nodes.node_id(i) << " did not stop cleanly:\n"
                                     << TailOf(node.output());
      CheckSanitizerReports(node.output(), &c.output_seen[i]);
    }
    EndCluster();
  }

  const uint64_t seed_;
  const int cycles_;
  const TakeoverOptions options_;
  testing::PatroniCluster* const patroni_;
  std::mt19937_64 rng_;
  std::unique_ptr<Cluster> cluster_;
  int clusters_ = 0;
  TakeoverTimes times_;
};

}  // namespace

void RunTakeoverCycles(uint64_t seed, int cycles, const TakeoverOptions& options) {
  if (options.kill == Kill::kOwner) {
    TakeoverRun(seed, cycles, options, nullptr).Go();
    return;
  }
  testing::PatroniCluster patroni;
  ::testing::AssertionResult started = patroni.Start();
  if (!started) {
    ADD_FAILURE() << started.message();
    return;
  }
  TakeoverRun(seed, cycles, options, &patroni).Go();
}

}  // namespace cmq::torture
