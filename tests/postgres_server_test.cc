// The tests' PostgreSQL harness (support/postgres_server.h) with the real PostgreSQL 15:
// it answers, databases are separate, a committed row survives kill -9 and restart,
// and no server process outlives a stop, a kill -9 or the test process itself.
#include "support/postgres_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace cmq::testing {
namespace {

// One libpq session.
class Session {
 public:
  explicit Session(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {}
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The first column of the first row, "" for a statement without rows, or "ERROR: "
  // and libpq's message.
  std::string Exec(const std::string& sql) {
    if (PQstatus(conn_) != CONNECTION_OK) return "ERROR: " + std::string(PQerrorMessage(conn_));
    PGresult* result = PQexec(conn_, sql.c_str());
    std::string answer;
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
      if (PQntuples(result) > 0) answer = PQgetvalue(result, 0, 0);
    } else if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      answer = "ERROR: " + std::string(PQresultErrorMessage(result));
    }
    PQclear(result);
    return answer;
  }

 private:
  PGconn* conn_;
};

std::string Query(const std::string& dsn, const std::string& sql) { return Session(dsn).Exec(sql); }

// The real user id of a process, or -1 if it is gone.
int ProcessUid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) == 0) return std::stoi(line.substr(4));
  }
  return -1;
}

// The id of the System V shared memory segment the server on `data_dir` made (line 7
// of postmaster.pid: "<key> <id>"), -1 if there is none.
int SharedMemoryId(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  std::string line;
  for (int n = 0; n < 7 && std::getline(in, line); ++n) {
  }
  long key = 0;
  int id = -1;
  return std::sscanf(line.c_str(), "%ld %d", &key, &id) == 2 ? id : -1;
}

// postgres_holder as a child process: a server that lives as long as another process.
// The destructor kills the holder and cleans up after its server.
class Holder {
 public:
  ~Holder() {
    child_.Kill();
    if (data_dir_.empty()) return;
    // Bounded by Eventually; the test itself checks that the processes go.
    Eventually([&] { return ProcessesInDirectory(data_dir_).empty(); });
    ReleaseSharedMemory(data_dir_);
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(data_dir_).parent_path(), ec);
  }

  // Runs the holder through `launcher` (programs that exec what follows them) and
  // waits until its server accepts connections.
  ::testing::AssertionResult Start(const std::vector<std::string>& launcher) {
    Program program;
    program.argv = launcher;
    program.argv.push_back(POSTGRES_HOLDER_PATH);
    StdStreams streams;
    streams.out = out_dir_.path() + "/out";
    std::string error;
    if (!child_.Start(program, streams, &error)) return ::testing::AssertionFailure() << error;
    std::string out;
    std::optional<int> exited;
    bool printed = Eventually(
        [&] {
          out = ReadWholeFile(streams.out);
          if (out.find("\ndsn=") != std::string::npos && out.back() == '\n') return true;
          exited = child_.Poll();
          return exited.has_value();
        },
        120000);
    if (!printed || exited) {
      return ::testing::AssertionFailure()
             << "postgres_holder printed no DSN (exit status " << exited.value_or(-1) << "):\n"
             << out;
    }
    data_dir_ = Value(out, "data_dir=");
    dsn_ = Value(out, "dsn=");
    return ::testing::AssertionSuccess();
  }
  ChildProcess& child() { return child_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& dsn() const { return dsn_; }

 private:
  static std::string Value(const std::string& out, const std::string& name) {
    size_t start = out.find(name);
    if (start == std::string::npos) return "";
    start += name.size();
    return out.substr(start, out.find('\n', start) - start);
  }

  TempDir out_dir_;
  ChildProcess child_;
  std::string data_dir_;
  std::string dsn_;
};

TEST(PostgresServerTest, FreshDatabaseAnswersQueries) {
  std::string dsn = FreshDatabaseDsn();
  ASSERT_FALSE(dsn.empty());
  Session session(dsn);
  EXPECT_EQ(session.Exec("SELECT current_user"), PostgresServer::kUser);
  EXPECT_EQ(session.Exec("SHOW fsync"), "on");
  EXPECT_EQ(session.Exec("SHOW synchronous_commit"), "on");
  EXPECT_EQ(session.Exec("CREATE TABLE t (v text)"), "");
  EXPECT_EQ(session.Exec("INSERT INTO t VALUES ('a'), ('b')"), "");
  EXPECT_EQ(session.Exec("SELECT string_agg(v, ',' ORDER BY v) FROM t"), "a,b");
  // The unix socket in the server's directory answers too.
  const PostgresServer& server = *SharedPostgresServer();
  EXPECT_EQ(Query("host=" + server.dir() + " port=" + std::to_string(server.port()) +
                      " user=cmq dbname=postgres",
                  "SELECT 1"),
            "1");
}

TEST(PostgresServerTest, DatabasesAreSeparate) {
  std::string a = FreshDatabaseDsn();
  std::string b = FreshDatabaseDsn();
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a, b);
  EXPECT_EQ(Query(a, "CREATE TABLE t (v text)"), "");
  EXPECT_EQ(Query(a, "INSERT INTO t VALUES ('in a')"), "");
  EXPECT_EQ(Query(b, "SELECT count(*) FROM pg_class WHERE relname = 't'"), "0");
  EXPECT_EQ(Query(b, "CREATE TABLE t (v text)"), "");
  EXPECT_EQ(Query(b, "INSERT INTO t VALUES ('in b')"), "");
  EXPECT_EQ(Query(a, "SELECT string_agg(v, ',') FROM t"), "in a");
  EXPECT_EQ(Query(b, "SELECT string_agg(v, ',') FROM t"), "in b");
}

TEST(PostgresServerTest, CommittedRowSurvivesKill9AndRestart) {
  PostgresServer server;
  ASSERT_TRUE(server.Start());
  std::string database = server.CreateDatabase();
  ASSERT_FALSE(database.empty());
  const std::string dsn = server.Dsn(database);
  EXPECT_EQ(Query(dsn, "CREATE TABLE t (v text)"), "");
  EXPECT_EQ(Query(dsn, "INSERT INTO t VALUES ('committed')"), "");
  Session open(dsn);
  EXPECT_EQ(open.Exec("BEGIN"), "");
  EXPECT_EQ(open.Exec("INSERT INTO t VALUES ('never committed')"), "");

  const int segment = SharedMemoryId(server.data_dir());
  EXPECT_NE(segment, -1);
  shmid_ds info{};
  EXPECT_EQ(shmctl(segment, IPC_STAT, &info), 0);

  server.Kill9();
  EXPECT_FALSE(server.running());
  EXPECT_TRUE(server.Processes().empty());
  EXPECT_NE(shmctl(segment, IPC_STAT, &info), 0) << "the shared memory outlived Kill9";

  ASSERT_TRUE(server.Start());
  EXPECT_EQ(Query(dsn, "SELECT string_agg(v, ',') FROM t"), "committed");
  EXPECT_NE(server.log().find("automatic recovery in progress"), std::string::npos)
      << "the restart found no crash to recover from:\n"
      << server.log();
}

TEST(PostgresServerTest, StopLeavesNoProcessBehind) {
  PostgresServer server;
  ASSERT_TRUE(server.Start());
  Session session(server.Dsn("postgres"));  // a backend of its own
  EXPECT_EQ(session.Exec("SELECT 1"), "1");
  std::vector<pid_t> processes = server.Processes();
  EXPECT_NE(std::find(processes.begin(), processes.end(), server.pid()), processes.end());
  EXPECT_GT(processes.size(), 2u);  // the postmaster, its helpers and the session's backend
  if (geteuid() == 0) {
    EXPECT_EQ(ProcessUid(server.pid()), static_cast<int>(getpwnam("postgres")->pw_uid));
  }

  ASSERT_TRUE(server.Stop());
  EXPECT_FALSE(server.running());
  EXPECT_TRUE(server.Processes().empty());
  for (pid_t pid : processes) {
    const int sent = kill(pid, 0);
    const int error = errno;
    EXPECT_TRUE(sent == -1 && error == ESRCH) << "process " << pid << " outlived the stop";
  }
  // And it starts again after a clean stop.
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(Query(server.Dsn("postgres"), "SELECT 1"), "1");
}

// The server of a process killed with -9 (a crashed or killed test binary) goes too.
TEST(PostgresServerTest, ServerDiesWithItsTestProcess) {
  Holder holder;
  ASSERT_TRUE(holder.Start({}));
  EXPECT_EQ(Query(holder.dsn(), "SELECT 1"), "1");
  EXPECT_FALSE(ProcessesInDirectory(holder.data_dir()).empty());
  holder.child().Kill();
  EXPECT_TRUE(Eventually([&] { return ProcessesInDirectory(holder.data_dir()).empty(); }));
}

// CI runs as root, where the servers run as the `postgres` user; a developer runs the
// tests as himself. This runs a server as `nobody`.
TEST(PostgresServerTest, ServerRunsAsAUserWhoIsNotRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run as another user";
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  Holder holder;
  ASSERT_TRUE(holder.Start({"/usr/bin/setpriv", "--reuid=" + std::to_string(nobody->pw_uid),
                            "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups"}));
  EXPECT_EQ(Query(holder.dsn(), "SELECT current_user"), PostgresServer::kUser);
  // Every process of the server runs as nobody. (The backend of the query above may
  // exit meanwhile: it is not counted then.)
  int as_nobody = 0;
  for (pid_t pid : ProcessesInDirectory(holder.data_dir())) {
    const int uid = ProcessUid(pid);
    if (uid == -1) continue;
    EXPECT_EQ(uid, static_cast<int>(nobody->pw_uid)) << "process " << pid;
    ++as_nobody;
  }
  EXPECT_GT(as_nobody, 0);
  holder.child().Kill();
  EXPECT_TRUE(Eventually([&] { return ProcessesInDirectory(holder.data_dir()).empty(); }));
}

TEST(PostgresServerTest, MissingPostgresSaysHowToInstallIt) {
  PostgresOptions options;
  options.bin_dir = "/nonexistent/postgresql/15/bin";
  PostgresServer server(options);
  ::testing::AssertionResult started = server.Start();
  EXPECT_FALSE(started);
  EXPECT_NE(std::string(started.message()).find("PostgreSQL 15 is not installed"),
            std::string::npos)
      << started.message();
  EXPECT_NE(std::string(started.message()).find("run scripts/install-deps.sh --test"),
            std::string::npos)
      << started.message();
}

TEST(PostgresServerTest, StartFromAnotherThreadIsRefused) {
  PostgresServer server;
  ::testing::AssertionResult started = ::testing::AssertionSuccess();
  std::thread([&] { started = server.Start(); }).join();
  EXPECT_FALSE(started);
  EXPECT_NE(std::string(started.message()).find("main thread"), std::string::npos)
      << started.message();
  EXPECT_FALSE(server.running());
}

}  // namespace
}  // namespace cmq::testing
