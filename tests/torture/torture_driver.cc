// torture_tests: runs the real cmqd through many cycles of load, kill -9 or simulated
// power cut, restart and check (README.md here); with --distributed, cmqd nodes of the
// distributed mode through cycles of load, kill -9 of the partition's owner (or of the
// PostgreSQL primary of a Patroni cluster), takeover and check (takeover_run.h).
//
//   torture_tests [--seed S]... [--random-seeds K] [--cycles N]
//                 [--segment-size-mb M] [--no-damage] [--durable-dirs]
//                 [--distributed [--route non-owner|any] [--kill owner|postgres-primary]]
//                 [gtest flags]
//
// Each seed runs N cycles; everything random (settings, load, the moment and kind of
// each kill, power-cut pages, damage) comes from the seed, so `--seed S --cycles N`
// replays a run (thread interleavings aside). A data directory (a cluster) lives for a
// few cycles with one set of settings, then is drained, checked and dropped.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "env/env.h"
#include "journal/segment_format.h"
#include "support/cmqd_process.h"
#include "support/crash_support.h"
#include "support/temp_dir.h"
#include "torture/journal_damage.h"
#include "torture/power_cut_revert.h"
#include "torture/takeover_run.h"
#include "torture/torture_checks.h"
#include "torture/torture_model.h"
#include "torture/torture_moment.h"
#include "torture/torture_workload.h"

namespace cmq::torture {
namespace {

using testing::CmqdProcess;
using testing::ServerHandle;
using testing::TailOf;
using testing::TempDir;

struct Flags {
  std::vector<uint64_t> seeds;
  int cycles = 20;
  std::string program = "torture_tests";
  std::string narrowing;  // the flags given besides seeds and cycles, for the replay line
  // Narrowing the randomness, to isolate one defect or to check the checker against
  // a build that has others: a fixed segment size, no damage cases, and data
  // directories made durable before cmqd starts.
  int segment_size_mb = 0;  // 0: random
  bool damage = true;
  bool durable_dirs = false;
  // The distributed mode's takeover torture instead (Torture.TakeoverCycles).
  bool distributed = false;
  Route route = Route::kNonOwner;
  Kill kill = Kill::kOwner;
};

Flags& GetFlags() {
  static Flags flags;
  return flags;
}

// How cmqd runs on one data directory.
struct Settings {
  int segment_size_mb = 1;
  int prepared_segments = 0;
  int ride_along_ms = 5;
  bool relaxed = false;
  int relaxed_sync_interval_ms = 50;
  bool power_cuts = false;       // the library is loaded; only with sync durability
  bool cmqd_makes_dirs = false;  // else the driver made data/journal durable first
  int kills = 3;                 // before the directory is drained and dropped
  bool corrupt = false;          // the last kill is followed by damage to the journal

  static Settings Random(std::mt19937_64& rng) {
    Settings s;
    const int sizes[] = {1, 1, 1, 2, 4};
    s.segment_size_mb = sizes[rng() % 5];
    s.prepared_segments = Between(rng, 0, 2);
    s.ride_along_ms = Between(rng, 0, 10);
    s.relaxed = Between(rng, 0, 3) == 0;
    s.relaxed_sync_interval_ms = Between(rng, 1, 50);
    s.power_cuts = !s.relaxed;
    s.cmqd_makes_dirs = Between(rng, 0, 3) == 0;
    s.kills = Between(rng, 2, 5);
    s.corrupt = Between(rng, 0, 3) == 0;
    const Flags& flags = GetFlags();
    if (flags.segment_size_mb > 0) s.segment_size_mb = flags.segment_size_mb;
    s.corrupt = s.corrupt && flags.damage;
    s.cmqd_makes_dirs = s.cmqd_makes_dirs && !flags.durable_dirs;
    return s;
  }

  std::vector<std::string> Args() const {
    std::vector<std::string> args = {"--segment-size-mb",   std::to_string(segment_size_mb),
                                     "--prepared-segments", std::to_string(prepared_segments),
                                     "--ride-along-ms",     std::to_string(ride_along_ms),
                                     "--durability",        relaxed ? "relaxed" : "sync"};
    if (relaxed) {
      args.insert(args.end(),
                  {"--relaxed-sync-interval-ms", std::to_string(relaxed_sync_interval_ms)});
    }
    return args;
  }

  std::string ToString() const {
    std::string s;
    for (const std::string& a : Args()) s += a + " ";
    return s + "(" + std::to_string(kills) + " kills" + (power_cuts ? ", power cuts" : "") +
           (cmqd_makes_dirs ? ", cmqd makes its directories" : "") +
           (corrupt ? ", then damage" : "") + ")";
  }
};

// How an incarnation ends (when: torture_moment.h).
enum class Cut { kKill9, kPowerCutAll, kPowerCutPages };

// One data directory: its cmqd, the clients, and the model of what was acknowledged.
struct Epoch {
  TempDir dir;
  Settings settings;
  std::vector<std::string> environment;  // the power-cut library, if loaded
  std::unique_ptr<CmqdProcess> server;
  Model model;
  IncarnationGate gate;
  ServerHandle handle;
  WorkloadSpec spec;
  std::unique_ptr<Workload> workload;
  int kills_done = 0;
  size_t output_seen = 0;  // cmqd's output before the current incarnation

  std::string data_dir() const { return dir.path() + "/data"; }
  std::string journal_dir() const { return data_dir() + "/journal"; }
  std::string undo_dir() const { return dir.path() + "/undo"; }
};

// "segments 3..7" of a journal directory, for the log.
std::string SegmentRange(const std::string& dir) {
  auto names = env::PosixEnv()->ListDir(dir);
  std::vector<uint32_t> numbers;
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
    if (auto n = journal::format::ParseSegmentFileName(name)) numbers.push_back(*n);
  }
  if (numbers.empty()) return "empty";
  return "segments " + std::to_string(numbers.front()) + ".." + std::to_string(numbers.back());
}

class TortureRun {
 public:
  TortureRun(uint64_t seed, int cycles) : seed_(seed), cycles_(cycles), rng_(seed) {}

  void Go() {
    for (int cycle = 1; cycle <= cycles_; ++cycle) {
      if (!epoch_ && !StartEpoch()) {
        EndEpoch();
        continue;
      }
      int failures = FailureCount();
      Cycle(cycle);
      if (FailureCount() > failures) {
        printf(
            "torture: seed %llu cycle %d FAILED; the directory is dropped; what cmqd "
            "printed last:\n%s\n",
            static_cast<unsigned long long>(seed_), cycle,
            (epoch_ && epoch_->server ? TailOf(epoch_->server->output()) : std::string("(no cmqd)"))
                .c_str());
        EndEpoch();
      }
    }
    if (epoch_) Finish();
  }

 private:
  bool StartEpoch() {
    ++epochs_;
    epoch_ = std::make_unique<Epoch>();
    Epoch& e = *epoch_;
    e.settings = Settings::Random(rng_);
    printf("torture: seed %llu epoch %d: %s\n", static_cast<unsigned long long>(seed_), epochs_,
           e.settings.ToString().c_str());
    if (!e.settings.cmqd_makes_dirs) {
      env::Env* env = env::PosixEnv();
      Status s = env->CreateDir(e.journal_dir());
      for (const std::string& d : {e.journal_dir(), e.data_dir(), e.dir.path()}) {
        if (s.ok()) s = env->SyncDir(d);
      }
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    e.server = std::make_unique<CmqdProcess>(e.dir.path(), e.settings.Args());
    if (e.settings.power_cuts) {
      auto env = PreparePowerCut(POWER_CUT_LIBRARY, e.data_dir(), e.undo_dir());
      if (!env.ok()) {
        ADD_FAILURE() << env.status().ToString();
        return false;
      }
      e.environment = *env;
      e.server->set_environment(e.environment);
    }
    if (!e.server->Start()) {
      ADD_FAILURE() << "cmqd did not start:\n" << TailOf(e.server->output());
      return false;
    }
    e.spec = DrawWorkload(rng_, "s" + std::to_string(seed_) + "e" + std::to_string(epochs_));
    if (!SetUpQueues(e.server->endpoint(), e.spec)) return false;
    e.handle.Set(e.server->endpoint());
    e.workload = std::make_unique<Workload>(e.spec, &e.model, &e.gate, &e.handle);
    return true;
  }

  // Stops the clients and cmqd and drops the directory.
  void EndEpoch() {
    if (!epoch_) return;
    ReportModelFailures(epoch_->model);
    epoch_->server->Kill9();  // before the clients may reach it through the open gate
    epoch_->gate.Open();      // clients blocked in the gate must see the stop
    epoch_->workload.reset();
    epoch_.reset();
  }

  void Cycle(int cycle) {
    Epoch& e = *epoch_;
    Trigger trigger = static_cast<Trigger>(rng_() % 3);
    int64_t target = Between(rng_, 20, 300);
    Cut cut = Cut::kKill9;
    if (e.settings.power_cuts && rng_() % 5 < 2) {
      cut = rng_() % 2 == 0 ? Cut::kPowerCutAll : Cut::kPowerCutPages;
    }
    std::string moment = WaitForKillMoment(trigger, target);
    e.server->Kill9();
    e.model.Killed();
    CheckSanitizerReports(e.server->output(), &e.output_seen);
    e.gate.Close();
    ++e.kills_done;
    std::string what = "kill -9";
    if (cut != Cut::kKill9) {
      PowerCutReport report;
      Status s = SimulatePowerCut(
          e.data_dir(), e.undo_dir(),
          cut == Cut::kPowerCutAll ? CutMode::kEverything : CutMode::kSomePages, rng_(), &report);
      EXPECT_TRUE(s.ok()) << s.ToString();
      what = std::string(cut == Cut::kPowerCutAll ? "power cut (all unsynced)"
                                                  : "power cut (some pages)") +
             " [" + report.ToString() + "]";
    }
    Model::Stats stats = e.model.stats();
    printf(
        "torture: seed %llu cycle %d/%d epoch %d kill %d/%d: %s after %s; %lld sends, %lld "
        "deliveries, %lld deletes acknowledged so far; journal %s\n",
        static_cast<unsigned long long>(seed_), cycle, cycles_, epochs_, e.kills_done,
        e.settings.kills, what.c_str(), moment.c_str(), static_cast<long long>(stats.sends_acked),
        static_cast<long long>(stats.deliveries), static_cast<long long>(stats.deletes_acked),
        SegmentRange(e.journal_dir()).c_str());
    fflush(stdout);
    if (e.kills_done == e.settings.kills && e.settings.corrupt) {
      Corrupt();
      CheckSanitizerReports(e.server->output(), &e.output_seen);
      EndEpoch();
      return;
    }
    if (!Restart()) {
      EndEpoch();
    } else if (e.kills_done == e.settings.kills) {
      Finish();
    }
  }

  // Waits for the moment to kill (torture_moment.h), watching the journal directory
  // for segment files.
  std::string WaitForKillMoment(Trigger trigger, int64_t target) {
    Epoch& e = *epoch_;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    uint32_t mask = trigger == Trigger::kSegmentRemoved ? IN_DELETE : IN_CREATE | IN_MOVED_TO;
    if (fd >= 0 && trigger != Trigger::kAcked) inotify_add_watch(fd, e.journal_dir().c_str(), mask);
    SegmentWatch watch = [fd](int64_t wait_ms) -> std::string {
      pollfd p{fd, POLLIN, 0};
      if (fd < 0) {
        usleep(wait_ms * 1000);  // no inotify: only the counter ends the wait
        return "";
      }
      if (poll(&p, 1, static_cast<int>(wait_ms)) <= 0) return "";
      alignas(inotify_event) char buf[4096];
      ssize_t n = read(fd, buf, sizeof(buf));
      for (ssize_t off = 0; off < n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        std::string name = ev->len > 0 ? ev->name : "";
        if (name.size() > 4 && name.substr(name.size() - 4) == ".seg") return name;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
      return "";
    };
    std::string moment = torture::WaitForKillMoment(trigger, target, *e.workload, watch);
    if (fd >= 0) close(fd);
    return moment;
  }

  // Starts the next incarnation, checks it before any client reaches it, opens the
  // gate. False if it did not come up or lost something.
  bool Restart() {
    Epoch& e = *epoch_;
    if (!e.server->Start()) {
      ADD_FAILURE() << "cmqd did not restart:\n" << TailOf(e.server->output());
      return false;
    }
    int failures = FailureCount();
    CheckCounts({e.server->endpoint()}, e.spec, &e.model);
    ReportModelFailures(e.model);
    if (FailureCount() > failures) {
      DrainAndCheck(e.server->endpoint());  // which messages
      return false;
    }
    e.handle.Set(e.server->endpoint());
    e.gate.Open();
    return true;
  }

  // Reads every queue empty with the strict checks, then fails for every message that
  // must exist and was not found.
  void DrainAndCheck(const std::string& endpoint) {
    Epoch& e = *epoch_;
    e.model.BeginFinalDrain();
    if (DrainAll({endpoint}, e.spec, &e.model, e.gate.incarnation())) {
      for (const QueueSpec& q : e.spec.queues) e.model.CheckDrained(q.name);
    }
  }

  // The end of a directory: stop the clients, read every queue empty, check that
  // nothing acknowledged is missing, stop cmqd gracefully.
  void Finish() {
    Epoch& e = *epoch_;
    if (e.workload) e.workload->Stop();  // none after a damage case that found no record
    DrainAndCheck(e.server->endpoint());
    EXPECT_EQ(e.server->Terminate(), 0) << "cmqd did not stop cleanly:\n"
                                        << TailOf(e.server->output());
    CheckSanitizerReports(e.server->output(), &e.output_seen);
    EndEpoch();
  }

  // After the last kill: damage the journal, require cmqd to refuse it by name, then
  // to start with --salvage, and check what it serves then (losses allowed).
  void Corrupt() {
    Epoch& e = *epoch_;
    e.gate.Open();
    e.workload.reset();
    auto damage = DamageJournal(e.journal_dir(), rng_);
    if (!damage.ok()) {
      printf("torture: no damage possible (%s); a plain restart instead\n",
             damage.status().ToString().c_str());
      if (Restart()) Finish();
      return;
    }
    printf("torture: seed %llu epoch %d: %s\n", static_cast<unsigned long long>(seed_), epochs_,
           damage->ToString().c_str());
    size_t before = e.server->output().size();
    if (e.server->Start()) {
      // What the damage cost, silently: drained with the loss checks excused.
      e.model.SetSalvaged();
      DrainAndCheck(e.server->endpoint());
      ADD_FAILURE() << "cmqd started on a damaged journal (" << damage->ToString()
                    << "): " << e.model.stats().excused
                    << " acknowledged messages were lost or deleted ones came back, silently";
      return;
    }
    std::string why;
    std::string refusal = e.server->output().substr(before);
    EXPECT_EQ(e.server->start_exit_status(), 1)
        << "cmqd did not exit with status 1 on the damaged journal (" << damage->ToString()
        << "):\n"
        << TailOf(refusal);
    EXPECT_TRUE(ReportsDamage(refusal, *damage, &why))
        << "cmqd refused the damaged journal (" << damage->ToString() << ") but " << why << ":\n"
        << TailOf(refusal);
    std::vector<std::string> args = e.settings.Args();
    args.push_back("--salvage");
    CmqdProcess salvage(e.dir.path(), args);
    salvage.set_environment(e.environment);
    before = salvage.output().size();
    if (!salvage.Start()) {
      ADD_FAILURE() << "cmqd --salvage did not start after " << damage->ToString() << ":\n"
                    << TailOf(salvage.output().substr(before));
      return;
    }
    std::string name = damage->path.substr(damage->path.rfind('/') + 1);
    EXPECT_NE(salvage.output().find(name, before), std::string::npos)
        << "cmqd --salvage did not log what it skipped in " << name << ":\n"
        << TailOf(salvage.output().substr(before));
    e.model.SetSalvaged();
    DrainAndCheck(salvage.endpoint());
    printf("torture: after --salvage, %lld acknowledged messages lost or deletes undone\n",
           static_cast<long long>(e.model.stats().excused));
    EXPECT_EQ(salvage.Terminate(), 0) << TailOf(salvage.output());
  }

  const uint64_t seed_;
  const int cycles_;
  std::mt19937_64 rng_;
  std::unique_ptr<Epoch> epoch_;
  int epochs_ = 0;
};

// Runs `run` for every seed, with a replay line for a seed that failed.
void ForEachSeed(const std::function<void(uint64_t seed, int cycles)>& run) {
  const Flags& flags = GetFlags();
  for (uint64_t seed : flags.seeds) {
    std::string replay = flags.program + " --seed " + std::to_string(seed) + " --cycles " +
                         std::to_string(flags.cycles) + flags.narrowing;
    SCOPED_TRACE("torture seed " + std::to_string(seed) + " (replay: " + replay + ")");
    printf("torture: seed %llu, %d cycles\n", static_cast<unsigned long long>(seed), flags.cycles);
    fflush(stdout);
    int failures = FailureCount();
    run(seed, flags.cycles);
    if (FailureCount() > failures) {
      printf("torture: seed %llu FAILED (replay: %s)\n", static_cast<unsigned long long>(seed),
             replay.c_str());
    }
  }
}

TEST(Torture, KillAndPowerCutCycles) {
  ForEachSeed([](uint64_t seed, int cycles) { TortureRun(seed, cycles).Go(); });
}

TEST(Torture, TakeoverCycles) {
  TakeoverOptions options;
  options.route = GetFlags().route;
  options.kill = GetFlags().kill;
  options.segment_size_mb = GetFlags().segment_size_mb;
  ForEachSeed([&](uint64_t seed, int cycles) { RunTakeoverCycles(seed, cycles, options); });
}

}  // namespace
}  // namespace cmq::torture

namespace {

void PrintUsage(const char* program) {
  fprintf(stderr,
          "usage: %s [--seed S]... [--random-seeds K] [--cycles N]\n"
          "          [--segment-size-mb M] [--no-damage] [--durable-dirs]\n"
          "          [--distributed [--route non-owner|any] [--kill owner|postgres-primary]]\n"
          "          [gtest flags]\n"
          "  Runs N cycles (default 20) for each seed; without seeds, one random seed.\n"
          "  --segment-size-mb, --no-damage and --durable-dirs narrow the random settings\n"
          "  (the random draws stay the same).\n"
          "  --distributed: two or three cmqd nodes on PostgreSQL instead; each cycle kills\n"
          "  -9 the partition's owner under load and checks the takeover. --route: the\n"
          "  nodes the clients use: non-owner (the default: only nodes that do not own the\n"
          "  partition, which forward) or any (every node, the next after a 6000).\n"
          "  --kill: what each cycle kills: owner (the default: the partition's owner node) or\n"
          "  postgres-primary (the primary of a Patroni cluster made by scripts/cluster.sh,\n"
          "  which the nodes use instead of a single PostgreSQL).\n",
          program);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help") PrintUsage(argv[0]);  // then gtest's own help
  }
  ::testing::InitGoogleTest(&argc, argv);
  cmq::torture::Flags& flags = cmq::torture::GetFlags();
  flags.program = argv[0];
  int random_seeds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--seed" && has_value) {
      flags.seeds.push_back(std::strtoull(argv[++i], nullptr, 10));
    } else if (arg == "--random-seeds" && has_value) {
      random_seeds = std::atoi(argv[++i]);
    } else if (arg == "--cycles" && has_value) {
      flags.cycles = std::atoi(argv[++i]);
    } else if (arg == "--segment-size-mb" && has_value) {
      flags.segment_size_mb = std::atoi(argv[i + 1]);
      flags.narrowing += " --segment-size-mb " + std::string(argv[++i]);
    } else if (arg == "--no-damage") {
      flags.damage = false;
      flags.narrowing += " --no-damage";
    } else if (arg == "--durable-dirs") {
      flags.durable_dirs = true;
      flags.narrowing += " --durable-dirs";
    } else if (arg == "--distributed") {
      flags.distributed = true;
      flags.narrowing += " --distributed";
    } else if (arg == "--route" && has_value) {
      std::string route = argv[++i];
      if (route != "any" && route != "non-owner") {
        PrintUsage(argv[0]);
        return 2;
      }
      flags.route = route == "any" ? cmq::torture::Route::kAnyNode : cmq::torture::Route::kNonOwner;
      flags.narrowing += " --route " + route;
    } else if (arg == "--kill" && has_value) {
      std::string kill = argv[++i];
      if (kill != "owner" && kill != "postgres-primary") {
        PrintUsage(argv[0]);
        return 2;
      }
      flags.kill = kill == "owner" ? cmq::torture::Kill::kOwner : cmq::torture::Kill::kPostgresPrimary;
      flags.narrowing += " --kill " + kill;
    } else if (arg != "--help") {
      PrintUsage(argv[0]);
      return 2;
    }
  }
  // One kind of torture per run; the other tests of this binary (journal_damage_test.cc)
  // go with the embedded one.
  if (::testing::GTEST_FLAG(filter) == "*") {
    ::testing::GTEST_FLAG(filter) =
        flags.distributed ? "Torture.TakeoverCycles" : "-Torture.TakeoverCycles";
  }
  if (flags.seeds.empty() && random_seeds == 0) random_seeds = 1;
  std::random_device random;
  for (int i = 0; i < random_seeds; ++i) {
    flags.seeds.push_back((uint64_t{random()} << 32 | random()) % 1000000000);
  }
  return RUN_ALL_TESTS();
}
