#include "support/patroni_cluster.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <sstream>
#include <utility>

#include "support/child_process.h"
#include "support/eventually.h"
#include "support/postgres_server.h"

namespace cmq::testing {
namespace {

// Bounds for a hung script only: beside a CPU hog and sanitizer builds a start took
// under a minute.
constexpr int64_t kStartLimitMs = 300000;
constexpr int64_t kCommandLimitMs = 120000;
constexpr int64_t kFailoverLimitMs = 120000;
// `cluster.sh start` exits with this when a port it needs is taken.
constexpr int kPortTaken = 3;
constexpr int kStartTries = 3;
// cluster.sh uses the ports from --base-port to --base-port + 39; bases are drawn from
// here, below Linux's ephemeral ports (32768 up), where FreeLoopbackPort's picks and
// every client's own ports come from.
constexpr int kLowestBase = 20000;
constexpr int kHighestBase = 32000 - 40;

// One line of `cluster.sh members`: name, role, state, host:port, lag, Patroni's pid,
// the postmaster's pid, separated by tabs.
bool ParseMember(const std::string& line, PatroniMember* member) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, '\t');) fields.push_back(field);
  if (fields.size() != 7) return false;
  member->name = fields[0];
  member->role = fields[1];
  member->state = fields[2];
  member->address = fields[3];
  member->patroni_pid = static_cast<pid_t>(std::atol(fields[5].c_str()));
  member->postmaster_pid = static_cast<pid_t>(std::atol(fields[6].c_str()));
  return true;
}

bool IsRunningPrimary(const PatroniMember& m) {
  return m.role == "leader" && m.patroni_pid != 0 && m.postmaster_pid != 0;
}

std::string ParentDir(const PatroniClusterOptions& options) {
  return options.parent_dir.empty() ? DefaultServerParentDir() : options.parent_dir;
}

}  // namespace

PatroniCluster::PatroniCluster(PatroniClusterOptions options)
    : options_(std::move(options)), dir_(std::make_unique<TempDir>(ParentDir(options_))) {}

PatroniCluster::~PatroniCluster() { Stop(); }

PatroniCluster::ScriptRun PatroniCluster::RunScript(std::vector<std::string> args,
                                                    int64_t limit_ms) const {
  Program program;
  program.argv = {"/bin/bash", CMQ_CLUSTER_SCRIPT};
  program.argv.insert(program.argv.end(), args.begin(), args.end());
  program.argv.insert(program.argv.end(), {"--dir", dir()});
  RunOptions options;
  options.merge_stderr = true;
  options.limit_ms = limit_ms;
  RunResult run = RunProgram(program, options);
  std::string output = run.out + run.err;
  if (run.timed_out) {
    output += "\n[PatroniCluster] cluster.sh " + args[0] + " killed after " +
              std::to_string(limit_ms / 1000) + " s";
  }
  return {run.exit_status, output};
}

void PatroniCluster::Stop() {
  if (!started_) return;
  started_ = false;
  ScriptRun run = RunScript({"stop"}, kCommandLimitMs);
  if (run.exit_status != 0) {
    ADD_FAILURE() << "cluster.sh stop failed (exit status " << run.exit_status
                  << "):\n" << run.output;
  }
}

::testing::AssertionResult PatroniCluster::Start() {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> base_port(kLowestBase, kHighestBase);
  for (int attempt = 1;; ++attempt) {
    if (dir().empty()) return ::testing::AssertionFailure() << "no temporary directory";
    started_ = true;
    ScriptRun run = RunScript({"start", "--nodes", "0", "--postgres",
                               std::to_string(options_.postgres), "--base-port",
                               std::to_string(base_port(random)), "--owner-pid",
                               std::to_string(getpid())},
                              kStartLimitMs);
    if (run.exit_status == 0) break;
    if (run.exit_status != kPortTaken || attempt == kStartTries) {
      return ::testing::AssertionFailure()
             << "cluster.sh start failed (exit status " << run.exit_status << "):\n"
             << TailOf(run.output) << "\n"
             << Describe();
    }
    // The first start of a directory fixes its ports: other ports need a fresh one.
    Stop();
    dir_ = std::make_unique<TempDir>(ParentDir(options_));
  }
  ScriptRun env = RunScript({"env"}, kCommandLimitMs);
  const std::string prefix = "export CMQ_CLUSTER_DSN='";
  std::stringstream lines(env.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0 && line.back() == '\'') {
      dsn_ = line.substr(prefix.size(), line.size() - prefix.size() - 1);
    }
  }
  if (env.exit_status != 0 || dsn_.empty()) {
    return ::testing::AssertionFailure() << "cluster.sh env gave no DSN:\n" << env.output;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PatroniCluster::StartAgain() {
  if (!started_ || dsn_.empty()) return ::testing::AssertionFailure() << "never started";
  ScriptRun run = RunScript({"start", "--owner-pid", std::to_string(getpid())}, kStartLimitMs);
  if (run.exit_status == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "cluster.sh start (again) failed (exit status "
                                       << run.exit_status << "):\n"
                                       << TailOf(run.output) << "\n"
                                       << Describe();
}

std::string PatroniCluster::CreateDatabase() {
  // cluster.sh's DSN names database cmq and role cmq; the superuser is postgres.
  const std::string names = "dbname=cmq user=cmq";
  const size_t at = dsn_.find(names);
  if (at == std::string::npos) {
    ADD_FAILURE() << "CreateDatabase: unexpected DSN " << dsn_;
    return "";
  }
  std::string admin_dsn = dsn_, dsn = dsn_;
  admin_dsn.replace(at, names.size(), "dbname=postgres user=postgres");
  const std::string name = "test_" + std::to_string(++databases_made_);
  dsn.replace(at, names.size(), "dbname=" + name + " user=cmq");
  PGconn* admin = PQconnectdb(admin_dsn.c_str());
  std::string error;
  if (PQstatus(admin) != CONNECTION_OK) {
    error = "connecting to " + admin_dsn + ": " + PQerrorMessage(admin);
  } else {
    PGresult* result =
        PQexec(admin, ("CREATE DATABASE " + name + " OWNER cmq TEMPLATE template0").c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      error = "CREATE DATABASE " + name + ": " + PQerrorMessage(admin);
    }
    PQclear(result);
  }
  PQfinish(admin);
  if (!error.empty()) {
    ADD_FAILURE() << "CreateDatabase: " << error;
    return "";
  }
  // The commit waited for the synchronous standby's flush, not for its replay, and not
  // for the other replica. libpq tries the hosts of a multi-host DSN in turn, but a
  // standby that answers "database does not exist" ends the attempt before the
  // primary's turn: wait until every running instance has the database.
  std::string missing;
  const bool everywhere = Eventually(
      [&] {
        std::vector<PatroniMember> members;
        if (!Members(&members)) return false;
        for (const PatroniMember& m : members) {
          if (m.postmaster_pid == 0) continue;
          const size_t colon = m.address.rfind(':');
          const std::string member_dsn = "host=" + m.address.substr(0, colon) +
                                         " port=" + m.address.substr(colon + 1) + " dbname=" +
                                         name + " user=cmq connect_timeout=5";
          PGconn* conn = PQconnectdb(member_dsn.c_str());
          const bool ok = PQstatus(conn) == CONNECTION_OK;
          if (!ok) missing = m.name + ": " + PQerrorMessage(conn);
          PQfinish(conn);
          if (!ok) return false;
        }
        return true;
      },
      kCommandLimitMs);
  if (everywhere) return dsn;
  ADD_FAILURE() << "CreateDatabase: " << name << " did not reach every instance: " << missing;
  return "";
}

::testing::AssertionResult PatroniCluster::Members(std::vector<PatroniMember>* members) const {
  members->clear();
  ScriptRun run = RunScript({"members"}, kCommandLimitMs);
  if (run.exit_status != 0) {
    return ::testing::AssertionFailure() << "cluster.sh members failed:\n" << run.output;
  }
  std::stringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    PatroniMember member;
    if (!ParseMember(line, &member)) {
      return ::testing::AssertionFailure() << "cluster.sh members printed \"" << line << "\"";
    }
    members->push_back(std::move(member));
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PatroniCluster::Primary(PatroniMember* primary) const {
  std::vector<PatroniMember> members;
  if (::testing::AssertionResult listed = Members(&members); !listed) return listed;
  for (const PatroniMember& m : members) {
    if (IsRunningPrimary(m)) {
      *primary = m;
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no running primary now:\n" << Describe();
}

::testing::AssertionResult PatroniCluster::KillPrimary(PatroniMember* killed) {
  PatroniMember primary;
  if (::testing::AssertionResult found = Primary(&primary); !found) return found;
  ScriptRun run = RunScript({"kill-primary"}, kCommandLimitMs);
  if (run.exit_status != 0 || run.output.rfind("killed " + primary.name + " ", 0) != 0) {
    return ::testing::AssertionFailure()
           << "cluster.sh kill-primary did not kill " << primary.name << " (exit status "
           << run.exit_status << "):\n" << run.output << "\n" << Describe();
  }
  *killed = primary;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PatroniCluster::WaitForNewPrimary(const std::string& old_name,
                                                             PatroniMember* primary) const {
  const bool found = Eventually(
      [&] {
        std::vector<PatroniMember> members;
        if (!Members(&members)) return false;  // during the failover no member may answer
        for (const PatroniMember& m : members) {
          if (m.name != old_name && IsRunningPrimary(m)) {
            *primary = m;
            return true;
          }
        }
        return false;
      },
      kFailoverLimitMs);
  if (found) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no primary other than " << old_name << " within "
                                       << kFailoverLimitMs / 1000 << " s:\n" << Describe();
}

std::string PatroniCluster::Describe() const {
  std::string text = RunScript({"status"}, kCommandLimitMs).output;
  std::vector<std::string> logs = {dir() + "/etcd.log"};
  for (int i = 1; i <= options_.postgres; ++i) {
    logs.push_back(dir() + "/pg" + std::to_string(i) + "/patroni.log");
  }
  for (const std::string& log : logs) {
    text += "\n--- " + log + " (end):\n" + TailOf(ReadWholeFile(log), 3000);
  }
  return text;
}

}  // namespace cmq::testing
