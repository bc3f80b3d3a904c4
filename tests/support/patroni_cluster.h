// PatroniCluster: a highly available PostgreSQL 15 for tests of the distributed mode,
// made by scripts/cluster.sh (README "Highly available mode"): one etcd and two or
// three PostgreSQL under Patroni with synchronous_mode_strict, on 127.0.0.1, the
// database only (`cluster.sh start --nodes 0`). Tests start their own cmqd on dsn().
//
//   PatroniCluster cluster;
//   ASSERT_TRUE(cluster.Start());
//   ... cmqd --storage postgres --postgres-dsn cluster.dsn() ...
//   PatroniMember killed;
//   ASSERT_TRUE(cluster.KillPrimary(&killed));  // as if the primary's machine died
//   ... writes fail with retryable errors, then go on on the new primary ...
//
// The script is the one way the cluster is started, failed and stopped, so the tests
// that use this class test the script too. The cluster never outlives its test process:
// the destructor stops it and removes its directory, and should the process die first,
// the script stops it (--owner-pid). Under root, PostgreSQL and Patroni run as the
// `postgres` user. Its directory is in memory (/dev/shm) like PostgresServer's.
//
// Costs on the 2-core machine, beside other builds: Start about 10 s (initdb, then a
// base backup per standby), the destructor about 8 s; writes through dsn() resume
// 11.4 to 13.1 s after KillPrimary (Patroni's ttl of 10 s, then the promotion).
//
// Not thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace cmq::testing {

// One PostgreSQL instance as Patroni sees it (`cluster.sh members`).
struct PatroniMember {
  std::string name;     // pg1, pg2, pg3
  std::string role;     // leader, sync_standby or replica
  std::string state;    // Patroni's: running, starting, stopped, ...
  std::string address;  // host:port of its PostgreSQL
  pid_t patroni_pid = 0;     // 0: Patroni does not run
  pid_t postmaster_pid = 0;  // 0: PostgreSQL does not run
};

struct PatroniClusterOptions {
  // PostgreSQL instances, 2 or 3. With 3 the cluster survives the loss of one: the
  // third becomes the new primary's synchronous standby. With 2, writes stop with the
  // first loss until the lost instance is back (synchronous_mode_strict).
  int postgres = 3;
  // Where the cluster's temporary directory is made; empty: DefaultServerParentDir().
  std::string parent_dir;
};

class PatroniCluster {
 public:
  explicit PatroniCluster(PatroniClusterOptions options = {});
  // `cluster.sh stop`, then the directory goes.
  ~PatroniCluster();
  PatroniCluster(const PatroniCluster&) = delete;
  PatroniCluster& operator=(const PatroniCluster&) = delete;

  // `cluster.sh start`: returns once every instance runs, one as the primary with a
  // synchronous standby, and the database `cmq` exists. Ports are picked at random
  // below the ephemeral range; a start that finds one taken tries other ports, up to 3
  // times. Fails, saying why (with the cluster's logs), otherwise.
  ::testing::AssertionResult Start();
  // The libpq DSN of database `cmq` on every instance, target_session_attrs=read-write:
  // it reaches whichever is the primary now. Empty before Start.
  const std::string& dsn() const { return dsn_; }
  const std::string& dir() const { return dir_->path(); }

  // Patroni's members now.
  ::testing::AssertionResult Members(std::vector<PatroniMember>* members) const;
  // The leader whose Patroni and PostgreSQL run. Fails if there is none now (during a
  // failover: a killed leader keeps its key for up to Patroni's ttl).
  ::testing::AssertionResult Primary(PatroniMember* primary) const;
  // SIGKILL to the primary's Patroni and then to all its PostgreSQL processes (a
  // machine's death: Patroni must not restart it in place); returns once they are gone,
  // with what the primary was. Patroni promotes the synchronous standby once the dead
  // leader's key expires.
  ::testing::AssertionResult KillPrimary(PatroniMember* killed);
  // `cluster.sh start` again on the cluster's directory: members killed before come
  // back as replicas (Patroni rewinds them onto the new primary's timeline); returns
  // once every instance runs, one as the primary with a synchronous standby.
  ::testing::AssertionResult StartAgain();
  // A new, empty database owned by the DSN's role (made through the superuser
  // `postgres`); returns the DSN of it, multi-host like dsn(), once every running
  // instance has it, or "" after ADD_FAILURE saying why.
  std::string CreateDatabase();
  // Waits (bounded, for a hang only) until a member other than `old_name` is the
  // running primary.
  ::testing::AssertionResult WaitForNewPrimary(const std::string& old_name,
                                               PatroniMember* primary) const;

  // `cluster.sh status` and the end of each log, for failure messages.
  std::string Describe() const;

 private:
  struct ScriptRun {
    int exit_status;
    std::string output;
  };
  ScriptRun RunScript(std::vector<std::string> args, int64_t limit_ms) const;
  void Stop();

  PatroniClusterOptions options_;
  std::unique_ptr<TempDir> dir_;
  bool started_ = false;
  std::string dsn_;
  int databases_made_ = 0;
};

}  // namespace cmq::testing
