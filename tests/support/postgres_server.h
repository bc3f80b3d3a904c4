// PostgresServer: a private PostgreSQL 15 for tests (the distributed mode's log lives
// in PostgreSQL), started from Debian's postgresql-15 package on a free port of
// 127.0.0.1, with fsync on, and stopped, killed with -9 or restarted on its data
// directory like any real server.
//
// Typical use is one server per test process with a fresh database per test:
//
//   std::string dsn = FreshDatabaseDsn();   // starts the shared server on first use
//   ASSERT_FALSE(dsn.empty());              // a failure has been recorded, with why
//   PGconn* conn = PQconnectdb(dsn.c_str());
//
// Tests that stop or kill a server make their own PostgresServer.
//
// The server's processes run as the `postgres` user the package creates when the test
// runs as root (PostgreSQL refuses root), as the test's user otherwise. It never
// outlives its test process: the postmaster gets SIGKILL when the thread that started
// it ends (PR_SET_PDEATHSIG, so servers are started from the main thread), and its
// other processes end on their own once the postmaster is gone.
//
// Its directory is in memory (/dev/shm) when the machine has one. fsync stays on, so
// PostgreSQL makes every fsync it makes on a disk; tmpfs makes them cheap. A kill -9 of
// processes (the only crash the harness makes) keeps the page cache, so what a test
// can observe is the same as on a disk, at a fraction of the cost: on this 2-core
// machine, beside other builds, a restart after kill -9 took 0.4 s instead of 6 s
// (crash recovery fsyncs every file), and removing a server's directory 0.15 s instead
// of 5 s. Power loss is not simulated here.
//
// A new server's cluster is a copy of one made by initdb and kept, per PostgreSQL
// version and user, beside the servers' directories as cmq-postgres-template-*, so that
// only the first server of a machine pays for initdb.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace cmq::testing {

// Where Debian's postgresql-15 package puts its programs.
inline constexpr char kPostgresBinDir[] = "/usr/lib/postgresql/15/bin";

struct PostgresOptions {
  // Where initdb and postgres are.
  std::string bin_dir = kPostgresBinDir;
  // Where the server's temporary directory is made. Empty: /dev/shm when it is a
  // writable directory, else $TMPDIR, or /tmp.
  std::string parent_dir;
  // Server settings as "name=value", passed as `-c name=value` on every start after
  // the harness's own (listen address, port, socket directory, fsync=on,
  // synchronous_commit=on), which they may override.
  std::vector<std::string> settings;
};

// One PostgreSQL server on its own temporary directory, removed with it. Its superuser
// is kUser, admitted without a password (trust) on 127.0.0.1 and the unix socket.
//
// Not thread-safe, except CreateDatabase, Dsn and the accessors, which any thread may
// call while no other thread starts, stops or kills the server.
class PostgresServer {
 public:
  static constexpr char kUser[] = "cmq";

  explicit PostgresServer(PostgresOptions options = {});
  // Kills the server (-9, see Kill9) if it runs and removes its directory: a clean
  // shutdown would only spend a checkpoint on files about to be deleted.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The first call makes the cluster and picks a free port; later calls restart the
  // server on the same data directory and port (after Stop or Kill9, so a DSN taken
  // before stays valid). Returns once the server accepts connections, which after a
  // Kill9 includes its crash recovery. Fails, saying why (with the server's log), if
  // PostgreSQL 15 is not installed, if the server exits first, if it is not ready
  // within 120 s, or when called from a thread other than the main thread.
  ::testing::AssertionResult Start();
  // Fast shutdown (SIGINT): ends every session, writes a shutdown checkpoint, and
  // returns when every process of the server has exited. Fails (and kills the server)
  // if that takes over 120 s.
  ::testing::AssertionResult Stop();
  // SIGKILL to the postmaster and then to every other process of the server, as a
  // crash would; returns when none is left. Committed transactions are on disk (fsync
  // is on); everything else is as a crash leaves it. Nothing of the server outlives
  // the call but its files: the shared memory it leaves is removed too.
  void Kill9();

  bool running() const { return postmaster_.running(); }
  // The postmaster's process id while it runs.
  pid_t pid() const { return postmaster_.pid(); }
  // 0 before the first Start.
  uint16_t port() const { return port_; }
  // The temporary directory: the server's unix socket (so `psql -h <dir> -p <port>
  // -U cmq` reaches it), its log and its data directory.
  const std::string& dir() const { return dir_.path(); }
  const std::string& data_dir() const { return data_dir_; }
  // A libpq connection string for `database` over TCP:
  // "host=127.0.0.1 port=<port> user=cmq dbname=<database>".
  std::string Dsn(std::string_view database) const;
  // Makes a new empty database (CREATE DATABASE ... TEMPLATE template0, ~0.15 s) and
  // returns its name, "test_<n>". Databases are never dropped: DROP DATABASE forces a
  // checkpoint (~1 s), and the directory goes with the server. Returns "" after
  // recording a test failure with the reason if the server does not run or refuses.
  std::string CreateDatabase();
  // Everything the server and initdb printed (all runs), with the harness's own notes.
  std::string log() const;
  // The processes that belong to the server now (the postmaster and its children,
  // orphaned ones too): those whose working directory is the data directory, where
  // PostgreSQL keeps every process of a server. Empty once Stop or Kill9 returned.
  std::vector<pid_t> Processes() const;

 private:
  ::testing::AssertionResult MakeCluster();
  ::testing::AssertionResult Launch();
  ::testing::AssertionResult WaitUntilReady();
  ::testing::AssertionResult Failure(const std::string& what) const;
  void Note(const std::string& line) const;
  void CloseAdminConnection();

  PostgresOptions options_;
  TempDir dir_;  // declared before postmaster_: removed after the server is gone
  std::string data_dir_;
  std::string log_path_;
  // Programs that run PostgreSQL's own programs (setpriv with its arguments).
  std::vector<std::string> launcher_;
  uint16_t port_ = 0;
  ChildProcess postmaster_;
  mutable std::mutex admin_mu_;  // guards admin_ and databases_made_
  PGconn* admin_ = nullptr;      // to the "postgres" database, for CREATE DATABASE
  int databases_made_ = 0;
};

// The server shared by every test of this process, started by the first call (from the
// main thread) and killed at exit. Null after recording a test failure if it could not
// be started (every later call records the same failure, so each test says why).
PostgresServer* SharedPostgresServer();

// The DSN of a new empty database on the shared server; "" after recording a failure.
std::string FreshDatabaseDsn();

// Where servers' temporary directories go by default: "/dev/shm" when it is a writable
// directory (see the top of this file), else "" (TempDir's default: $TMPDIR or /tmp).
std::string DefaultServerParentDir();

// The processes (not zombies) whose working directory is `dir`.
std::vector<pid_t> ProcessesInDirectory(const std::string& dir);

// Removes what a server on `data_dir`, all of whose processes are gone, left outside
// that directory: the small System V shared memory segment its postmaster.pid names
// (kept until reboot otherwise). Nothing if the segment is gone or still in use. Kill9
// calls it; a test whose server died with another process calls it itself.
void ReleaseSharedMemory(const std::string& data_dir);

}  // namespace cmq::testing
