#include "server/postgres_partition.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/log.h"
#include "pglog/ownership.h"
#include "pglog/pg_conn.h"
#include "pglog/pg_record_log.h"
#include "pglog/schema.h"

namespace cmq::server {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr uint32_t kPartition = 0;  // this release serves one partition

}  // namespace

struct PostgresPartition::Impl {
  env::Env* env;
  Config config;
  std::string node_id;
  std::string advertise;
  Hooks hooks;

  // ---- loop thread: the partition's current life ----
  struct Life {
    uint64_t id = 0;
    uint64_t epoch = 0;
    std::unique_ptr<pglog::PgRecordLog> log;
    std::unique_ptr<broker::Broker> broker;
  };
  std::unique_ptr<Life> life;
  uint64_t lives = 0;
  bool stopping = false;
  // A takeover's replay in progress (Serve), and the epoch it replays.
  std::unique_ptr<env::Env::Thread> recovery;
  uint64_t recovering_epoch = 0;

  // ---- shared with the keeper (mu) ----
  std::mutex mu;
  std::condition_variable cv;
  uint64_t owned_epoch = 0;  // the keeper renews this epoch
  std::atomic<uint64_t> lease_renewals{0};  // kept by the keeper, read by GetFigures
  std::atomic<uint64_t> lease_renewal_failures{0};
  SteadyClock::time_point valid_until;
  SteadyClock::time_point claim_not_before;
  bool stop = false;
  bool look_again = false;
  SteadyClock::time_point looked_again;  // LookAgain's last wake-up of the keeper
  std::vector<ViewDone> view_requests;  // DescribeCluster calls waiting for the keeper
  // The other node holding the lease, as the last failed claim saw it.
  std::optional<Peer> owner_seen;

  // ---- keeper thread ----
  std::unique_ptr<pglog::PgConn> conn;
  std::unique_ptr<env::Env::Thread> keeper;
  SteadyClock::time_point last_complaint;

  std::chrono::milliseconds Lease() const {
    return std::chrono::milliseconds(config.postgres.lease_ms);
  }
  std::chrono::milliseconds Interval() const { return Lease() / 3; }

  Status Connect() {
    if (conn && !conn->broken()) return Status::Ok();
    conn.reset();
    auto c = pglog::PgConn::Connect(config.postgres.dsn, "cmqd-" + node_id + "-keeper",
                                    config.postgres.timeout_ms);
    if (!c.ok()) return c.status();
    conn = std::move(c).value();
    return Status::Ok();
  }

  // Claims the partition if nobody holds it; on success the keeper renews it from now.
  // Any thread that owns `conn` (Start, then the keeper).
  Result<uint64_t> TryClaim() {
    auto t0 = SteadyClock::now();
    auto claim = pglog::TryClaim(conn.get(), kPartition, node_id, advertise,
                                 config.postgres.lease_ms);
    if (!claim.ok()) return claim.status();
    std::lock_guard<std::mutex> lock(mu);
    if (!claim->claimed) {
      const pglog::PartitionOwner& row = claim->row;
      owner_seen.reset();
      if (!row.owner.empty() && row.owner != node_id && row.lease_left_ms > 0) {
        owner_seen = Peer{row.owner, row.owner_address};
      }
      return uint64_t{0};
    }
    owner_seen.reset();
    owned_epoch = claim->row.epoch;
    valid_until = t0 + Lease();
    return claim->row.epoch;
  }

  // ---- loop: lives of the partition ----

  // Loop: the keeper claimed `epoch`. Its log is replayed into a fresh broker on a
  // thread of its own, so the loop keeps answering (forwarding, "not serving") while a
  // takeover replays; Install then serves it.
  void Serve(uint64_t epoch) {
    if (stopping) return;
    if ((life && life->epoch == epoch) || recovering_epoch == epoch) return;
    if (life) End(Status(ErrorCode::kNotServing, "claimed again"));
    JoinRecovery();
    recovering_epoch = epoch;
    recovery = env->StartThread("pg-recovery", [this, epoch] {
      auto started = SteadyClock::now();
      auto fresh = std::make_shared<Life>();
      int64_t records = 0;
      Status s = Recover(epoch, fresh.get(), &records);
      hooks.post([this, epoch, fresh, s, records, started] {
        Install(epoch, fresh, s, records, started);
      });
    });
  }

  void JoinRecovery() {
    if (!recovery) return;
    recovery->Join();
    recovery.reset();
  }

  // Any thread (nothing else touches `fresh` yet): opens the log of `epoch` and
  // replays it into a new broker.
  Status Recover(uint64_t epoch, Life* fresh, int64_t* records) {
    fresh->epoch = epoch;
    pglog::PgLogOptions o;
    o.dsn = config.postgres.dsn;
    o.application_name = "cmqd-" + node_id;
    o.partition = kPartition;
    o.epoch = epoch;
    o.segment_size = config.segment_size;
    o.max_log_bytes = config.postgres.max_log_bytes;
    o.cache_bytes = config.postgres.cache_bytes;
    o.ride_along_ms = config.ride_along_ms;
    o.timeout_ms = config.postgres.timeout_ms;
    auto opened = pglog::PgRecordLog::Open(env, o);
    if (!opened.ok()) return opened.status();
    fresh->log = std::move(opened).value();
    // Every answer follows the commit of its records, receives included: a takeover
    // then knows every message a client holds.
    broker::BrokerOptions options;
    options.receives_wait_for_their_own_record = true;
    fresh->broker = std::make_unique<broker::Broker>(env->clock(), fresh->log.get(),
                                                     config.api.limits, options);
    broker::Broker* b = fresh->broker.get();
    CMQ_RETURN_IF_ERROR(fresh->log->Recover(
        [&](journal::RecordType type, std::string_view payload, journal::Location loc) {
          ++*records;
          return b->Replay(type, payload, loc);
        }));
    fresh->broker->FinishRecovery();
    return Status::Ok();
  }

  // Loop: serves a recovered life, unless the recovery failed, the node is stopping,
  // or the epoch was lost meanwhile.
  void Install(uint64_t epoch, const std::shared_ptr<Life>& fresh, Status s, int64_t records,
               SteadyClock::time_point started) {
    if (recovering_epoch == epoch) {
      recovering_epoch = 0;
      JoinRecovery();
    }
    bool owned;
    {
      std::lock_guard<std::mutex> lock(mu);
      owned = owned_epoch == epoch;
    }
    if (s.ok() && (stopping || !owned)) {
      s = Status(ErrorCode::kNotServing, stopping ? "stopping" : "the lease was lost during replay");
    }
    if (s.ok()) {
      fresh->id = ++lives;
      uint64_t id = fresh->id;
      s = fresh->log->Start([this, id] { hooks.post([this, id] { Completions(id); }); });
    }
    if (!s.ok()) {
      CMQ_LOG_ERROR("partition %u: cannot serve epoch %llu: %s", kPartition,
                    static_cast<unsigned long long>(epoch), s.ToString().c_str());
      if (fresh->log) {
        Status closed = fresh->log->Close();
        (void)closed;  // the failure being reported is `s`
      }
      if (!stopping) Relinquish(epoch, /*pause=*/true);
      return;
    }
    life = std::make_unique<Life>(std::move(*fresh));
    broker::Broker::Stats stats = life->broker->GetStats();
    long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() -
                                                                         started)
                       .count();
    CMQ_LOG_INFO("partition %u: serving epoch %llu after replaying %lld records in %lld ms "
                 "(%lld queues, %lld messages)",
                 kPartition, static_cast<unsigned long long>(epoch),
                 static_cast<long long>(records), ms, static_cast<long long>(stats.queues),
                 static_cast<long long>(stats.messages));
    hooks.serving(life->broker.get());
  }

  void Completions(uint64_t id) {
    if (!life || life->id != id) return;  // a wake-up of a life already over
    life->log->RunCompletions();
    if (life->log->Stats().failed) {
      Status why = life->log->failure();
      uint64_t epoch = life->epoch;
      End(why);
      // Fenced: another node owns the partition; otherwise claim again at once (the
      // claim by our own node id succeeds and moves the epoch on).
      Relinquish(epoch, why.error() == ErrorCode::kNotServing);
    }
    hooks.after_completions();
  }

  // Ends the current life: no broker serves, parked receives and waiting answers get
  // a retryable error, the log stops.
  void End(const Status& why) {
    if (!life) return;
    CMQ_LOG_WARN("partition %u: stops serving epoch %llu: %s", kPartition,
                 static_cast<unsigned long long>(life->epoch), why.ToString().c_str());
    hooks.serving(nullptr);
    Status answer = why.error() == ErrorCode::kNotServing ? why
                                                           : Status(ErrorCode::kStorageUnavailable);
    life->broker->AbandonWaiters(answer);
    Status closed = life->log->Close();
    (void)closed;  // answers waiting for durability got the failure from Close
    life.reset();
  }

  // Tells the keeper that `epoch` is over here: it stops renewing it and claims again
  // (after a pause of a renewal interval when `pause`).
  void Relinquish(uint64_t epoch, bool pause) {
    std::lock_guard<std::mutex> lock(mu);
    if (owned_epoch == epoch) owned_epoch = 0;
    claim_not_before = SteadyClock::now() + (pause ? Interval() : std::chrono::milliseconds(0));
    cv.notify_one();
  }

  // ---- keeper thread ----

  // Answers the DescribeCluster calls waiting now (`connected`: whether the keeper has
  // a connection), on the loop thread.
  void AnswerViewRequests(const Status& connected) {
    std::vector<ViewDone> waiting;
    {
      std::lock_guard<std::mutex> lock(mu);
      waiting.swap(view_requests);
    }
    if (waiting.empty()) return;
    Result<pglog::ClusterView> view =
        connected.ok() ? pglog::ReadClusterView(conn.get()) : Result<pglog::ClusterView>(connected);
    for (ViewDone& done : waiting) {
      hooks.post([done = std::move(done), view] { done(view); });
    }
  }

  void Complain(const Status& s) {
    auto now = SteadyClock::now();
    if (now - last_complaint < std::chrono::seconds(5)) return;
    last_complaint = now;
    CMQ_LOG_WARN("partition %u: PostgreSQL: %s", kPartition, s.ToString().c_str());
  }

  void KeeperLoop() {
    while (true) {
      uint64_t epoch = 0;
      SteadyClock::time_point not_before;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop) break;
        epoch = owned_epoch;
        not_before = claim_not_before;
        look_again = false;
      }
      Status s = Connect();
      AnswerViewRequests(s);
      bool renewed = false;
      if (s.ok()) s = pglog::Heartbeat(conn.get(), node_id, advertise);
      if (s.ok() && epoch != 0) {
        auto t0 = SteadyClock::now();
        s = pglog::RenewLease(conn.get(), kPartition, epoch, config.postgres.lease_ms);
        if (LogEnabled(LogLevel::kDebug)) {
          LogEvent(LogLevel::kDebug, "lease renewal",
                   {{"partition", kPartition},
                    {"epoch", epoch},
                    {"leaseMs", config.postgres.lease_ms},
                    {"result", s.ok() ? std::string("renewed") : s.ToString()}});
        }
        renewed = s.ok();
        std::lock_guard<std::mutex> lock(mu);
        if (s.ok() && owned_epoch == epoch) valid_until = t0 + Lease();
        if (s.error() == ErrorCode::kNotServing && owned_epoch == epoch) owned_epoch = 0;
      } else if (s.ok() && SteadyClock::now() >= not_before) {
        auto claimed = TryClaim();
        s = claimed.status();
        if (claimed.ok() && *claimed != 0) {
          uint64_t e = *claimed;
          hooks.post([this, e] { Serve(e); });
        }
      }
      if (epoch != 0) (renewed ? lease_renewals : lease_renewal_failures).fetch_add(1);
      if (s.error() == ErrorCode::kNotServing) {
        hooks.post([this, epoch, s] {
          if (life && life->epoch == epoch) End(s);
        });
      } else if (!s.ok()) {
        Complain(s);
      }
      std::unique_lock<std::mutex> lock(mu);
      if (epoch != 0 && owned_epoch == epoch && SteadyClock::now() >= valid_until) {
        // Renewals failed for a whole lease: another node may own it by now.
        owned_epoch = 0;
        hooks.post([this, epoch] {
          if (life && life->epoch == epoch) {
            End(Status(ErrorCode::kNotServing, "the lease ran out before it could be renewed"));
          }
        });
      }
      cv.wait_for(lock, Interval(),
                  [&] {
        return stop || owned_epoch != epoch || look_again || !view_requests.empty();
      });
    }
    // Shutdown: hand the partition over at once.
    uint64_t epoch;
    {
      std::lock_guard<std::mutex> lock(mu);
      epoch = owned_epoch;
      owned_epoch = 0;
    }
    if (epoch != 0 && Connect().ok()) {
      Status released = pglog::ReleaseLease(conn.get(), kPartition, epoch);
      if (released.ok()) {
        CMQ_LOG_INFO("partition %u: lease of epoch %llu handed over", kPartition,
                     static_cast<unsigned long long>(epoch));
      } else {
        CMQ_LOG_WARN("partition %u: could not hand the lease over (a standby takes over "
                     "when it runs out): %s",
                     kPartition, released.ToString().c_str());
      }
    }
  }
};

PostgresPartition::PostgresPartition(env::Env* env, const Config& config, std::string node_id,
                                     std::string advertise, Hooks hooks)
    : impl_(std::make_unique<Impl>()) {
  impl_->env = env;
  impl_->config = config;
  impl_->node_id = std::move(node_id);
  impl_->advertise = std::move(advertise);
  impl_->hooks = std::move(hooks);
}

PostgresPartition::~PostgresPartition() {
  Status stopped = Stop();
  (void)stopped;  // Stop logged it
}

Status PostgresPartition::Start() {
  Impl& d = *impl_;
  CMQ_RETURN_IF_ERROR(d.Connect());
  CMQ_RETURN_IF_ERROR(pglog::MigrateSchema(d.conn.get(), d.config.postgres.partitions));
  auto partitions = pglog::PartitionCount(d.conn.get());
  if (!partitions.ok()) return partitions.status();
  if (*partitions != 1) {
    return Status(ErrorCode::kInternal, "the cluster has " + std::to_string(*partitions) +
                                            " partitions; this cmqd serves clusters of one");
  }
  CMQ_RETURN_IF_ERROR(pglog::Heartbeat(d.conn.get(), d.node_id, d.advertise, /*starting=*/true));
  auto claimed = d.TryClaim();
  if (!claimed.ok()) return claimed.status();
  if (*claimed != 0) {
    // At start the replay runs here, so that a lone node serves once it listens.
    auto started = SteadyClock::now();
    auto fresh = std::make_shared<Impl::Life>();
    int64_t records = 0;
    Status recovered = d.Recover(*claimed, fresh.get(), &records);
    d.Install(*claimed, fresh, recovered, records, started);
  } else {
    CMQ_LOG_INFO("partition %u: another node holds the lease; standing by", kPartition);
  }
  d.keeper = d.env->StartThread("pg-keeper", [&d] { d.KeeperLoop(); });
  return Status::Ok();
}

bool PostgresPartition::Serving() {
  Impl& d = *impl_;
  if (!d.life) return false;
  bool valid;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    valid = d.owned_epoch == d.life->epoch && SteadyClock::now() < d.valid_until;
  }
  if (!valid) {
    uint64_t epoch = d.life->epoch;
    d.End(Status(ErrorCode::kNotServing, "the lease ran out by this node's clock"));
    d.Relinquish(epoch, /*pause=*/false);
  }
  return d.life != nullptr;
}

Status PostgresPartition::Stop() {
  Impl& d = *impl_;
  if (d.stopping) return Status::Ok();
  d.stopping = true;
  Status result;
  if (d.life) {
    d.hooks.serving(nullptr);
    d.life->broker->AbandonWaiters(Status(ErrorCode::kShuttingDown));
    result = d.life->log->Close();
    if (!result.ok()) CMQ_LOG_ERROR("postgres log close failed: %s", result.ToString().c_str());
    d.life.reset();
  }
  if (d.keeper) {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.stop = true;
      d.cv.notify_one();
    }
    d.keeper->Join();
    d.keeper.reset();
  }
  // A replay still running ends here; what it made is dropped (its Install, if it
  // still runs, finds the node stopping).
  d.JoinRecovery();
  std::vector<ViewDone> unanswered;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    unanswered.swap(d.view_requests);
  }
  for (ViewDone& done : unanswered) done(Status(ErrorCode::kShuttingDown));
  return result;
}

uint64_t PostgresPartition::epoch() const { return impl_->life ? impl_->life->epoch : 0; }

PostgresPartition::Figures PostgresPartition::GetFigures() const {
  const Impl& d = *impl_;
  Figures f;
  f.epoch = epoch();
  f.lease_renewals = d.lease_renewals.load();
  f.lease_renewal_failures = d.lease_renewal_failures.load();
  if (d.life && d.life->log) f.commits = d.life->log->Commits();
  return f;
}

std::optional<PostgresPartition::Peer> PostgresPartition::Owner() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->owner_seen;
}

void PostgresPartition::DescribeCluster(ViewDone done) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->stop || !impl_->keeper) {
    impl_->hooks.post([done = std::move(done)] {
      done(Status(ErrorCode::kShuttingDown));
    });
    return;
  }
  impl_->view_requests.push_back(std::move(done));
  impl_->cv.notify_one();
}

void PostgresPartition::LookAgain() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // Failed forwards come in bursts: one extra look per 100 ms is enough.
  auto now = SteadyClock::now();
  if (now - impl_->looked_again < std::chrono::milliseconds(100)) return;
  impl_->looked_again = now;
  impl_->look_again = true;
  impl_->cv.notify_one();
}

}  // namespace cmq::server
