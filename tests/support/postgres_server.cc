#include "support/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "support/free_port.h"

namespace cmq::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kSetpriv[] = "/usr/bin/setpriv";
// tmpfs on Debian: the servers' directories when nothing else is asked for.
constexpr char kMemoryDir[] = "/dev/shm";
// A bound for a hung server only: under ASan beside a CPU hog, a start with crash
// recovery takes seconds.
constexpr int64_t kLimitMs = 120000;
// Tries of a first start whose port another process took between FreeLoopbackPort and
// the server's bind.
constexpr int kPortTries = 3;

std::string Join(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& w : words) joined.append(joined.empty() ? "" : " ").append(w);
  return joined;
}

// What the server processes run as: the package's `postgres` user under root.
struct ServerUser {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Line `n` (from 1) of the postmaster.pid file in `data_dir`, "" if it has none.
std::string PostmasterPidLine(const std::string& data_dir, int n) {
  std::ifstream in(data_dir + "/postmaster.pid");
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i == n) return line;
  }
  return "";
}

// Whether the postmaster says it accepts connections (LOCK_FILE_LINE_PM_STATUS).
bool SaysReady(const std::string& data_dir) {
  return PostmasterPidLine(data_dir, 8).rfind("ready", 0) == 0;
}

}  // namespace

std::string DefaultServerParentDir() {
  return access(kMemoryDir, W_OK | X_OK) == 0 ? kMemoryDir : "";  // "": TempDir's default
}

std::vector<pid_t> ProcessesInDirectory(const std::string& dir) {
  std::vector<pid_t> pids;
  std::error_code ec;
  const fs::path wanted = fs::canonical(dir, ec);
  if (ec) return pids;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    // A zombie has no working directory: it holds nothing of the server any more.
    fs::path cwd = fs::read_symlink(entry.path() / "cwd", link_ec);
    if (!link_ec && cwd == wanted) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

void ReleaseSharedMemory(const std::string& data_dir) {
  // LOCK_FILE_LINE_SHMEM_KEY: "<key> <shmid>".
  const std::string line = PostmasterPidLine(data_dir, 7);
  long key = 0;
  int id = -1;
  if (std::sscanf(line.c_str(), "%ld %d", &key, &id) != 2) return;
  // Only the segment the file names, and only when nothing uses it: a segment id can
  // be reused once its segment is gone.
  shmid_ds info{};
  if (shmctl(id, IPC_STAT, &info) != 0 || info.shm_perm.__key != static_cast<key_t>(key) ||
      info.shm_nattch != 0) {
    return;
  }
  // Best effort: a segment left behind (a few dozen bytes) harms no test.
  shmctl(id, IPC_RMID, nullptr);
}

PostgresServer::PostgresServer(PostgresOptions options)
    : options_(std::move(options)),
      dir_(options_.parent_dir.empty() ? DefaultServerParentDir() : options_.parent_dir),
      data_dir_(dir_.path() + "/data"),
      log_path_(dir_.path() + "/postgres.log") {}

PostgresServer::~PostgresServer() { Kill9(); }

std::string PostgresServer::Dsn(std::string_view database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kUser +
         " dbname=" + std::string(database);
}

std::string PostgresServer::log() const { return ReadWholeFile(log_path_); }

std::vector<pid_t> PostgresServer::Processes() const { return ProcessesInDirectory(data_dir_); }

void PostgresServer::Note(const std::string& line) const {
  // UTC with milliseconds, as the server's own lines, so the two read as one timeline.
  const auto now = std::chrono::system_clock::now();
  const time_t seconds = std::chrono::system_clock::to_time_t(now);
  const int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &utc);
  char millis_text[8];
  std::snprintf(millis_text, sizeof(millis_text), ".%03d", millis);
  std::ofstream(log_path_, std::ios::app)
      << stamp << millis_text << " UTC [PostgresServer] " << line << "\n";
}

::testing::AssertionResult PostgresServer::Failure(const std::string& what) const {
  return ::testing::AssertionFailure() << what << "\n--- " << log_path_ << ":\n" << TailOf(log());
}

void PostgresServer::CloseAdminConnection() {
  std::lock_guard<std::mutex> lock(admin_mu_);
  if (admin_ != nullptr) PQfinish(admin_);
  admin_ = nullptr;
}

::testing::AssertionResult PostgresServer::Start() {
  if (running()) return ::testing::AssertionFailure() << "the PostgreSQL server already runs";
  if (gettid() != getpid()) {
    return ::testing::AssertionFailure()
           << "start PostgresServer from the main thread: the server is killed "
              "(PR_SET_PDEATHSIG) when the thread that started it ends";
  }
  if (port_ != 0) {
    ::testing::AssertionResult launched = Launch();
    return launched ? WaitUntilReady() : launched;
  }
  if (::testing::AssertionResult made = MakeCluster(); !made) return made;
  for (int attempt = 1;; ++attempt) {
    port_ = FreeLoopbackPort();
    if (port_ == 0) return Failure("no free TCP port on 127.0.0.1");
    const size_t log_offset = log().size();
    ::testing::AssertionResult launched = Launch();
    if (!launched) return launched;
    ::testing::AssertionResult ready = WaitUntilReady();
    if (ready || attempt == kPortTries ||
        log().find("could not bind", log_offset) == std::string::npos) {
      return ready;
    }
    Note("port " + std::to_string(port_) + " was taken meanwhile; trying another");
  }
}

::testing::AssertionResult PostgresServer::MakeCluster() {
  for (const char* program : {"initdb", "postgres"}) {
    const std::string path = options_.bin_dir + "/" + program;
    if (access(path.c_str(), X_OK) != 0) {
      return ::testing::AssertionFailure() << "PostgreSQL 15 is not installed: there is no " << path
                                           << " (run scripts/install-deps.sh --test)";
    }
  }
  if (access(kSetpriv, X_OK) != 0) {
    return ::testing::AssertionFailure()
           << "there is no " << kSetpriv << " (util-linux) to run PostgreSQL with";
  }
  if (dir().empty()) return ::testing::AssertionFailure() << "no temporary directory";

  ServerUser user;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return ::testing::AssertionFailure()
             << "the tests run as root, which PostgreSQL refuses, and there is no "
                "'postgres' user to run it as (the postgresql-15 package creates it: run "
                "scripts/install-deps.sh --test)";
    }
    user = {true, pw->pw_uid, pw->pw_gid};
  }
  launcher_ = {kSetpriv};
  if (user.switch_user) {
    launcher_.insert(launcher_.end(), {"--reuid=" + std::to_string(user.uid),
                                       "--regid=" + std::to_string(user.gid), "--clear-groups"});
  }
  // setpriv sets the parent-death signal after switching users (a change of user
  // clears it), and exec keeps it.
  launcher_.insert(launcher_.end(), {"--pdeathsig", "KILL", "--"});

  // Which user may make files in a directory the server (or initdb, or cp) writes in.
  auto give_to_server = [&](const std::string& path) -> ::testing::AssertionResult {
    if (user.switch_user && chown(path.c_str(), user.uid, user.gid) != 0) {
      return ::testing::AssertionFailure()
             << "chown " << path << " to postgres: " << std::strerror(errno);
    }
    return ::testing::AssertionSuccess();
  };
  if (::testing::AssertionResult given = give_to_server(dir()); !given) return given;

  // The template cluster: made once per PostgreSQL build, initdb arguments and user;
  // named after them, so a change of any makes a new one.
  const std::vector<std::string> initdb_args = {
      "--username=" + std::string(kUser), "--auth=trust", "--encoding=UTF8", "--locale=C",
      // The template is only ever copied; a test never survives a machine crash.
      "--no-sync", "--no-instructions"};
  RunOptions merged;
  merged.merge_stderr = true;
  Program version;
  version.argv = {options_.bin_dir + "/postgres", "--version"};
  RunResult version_run = RunProgram(version);
  if (version_run.exit_status != 0) {
    return Failure(version.argv[0] + " --version failed: " + version_run.out + version_run.err);
  }
  char key[17];
  std::snprintf(key, sizeof(key), "%016zx",
                std::hash<std::string>{}(version_run.out + Join(initdb_args)));
  const std::string parent = fs::path(dir()).parent_path().string();
  const std::string template_dir =
      parent + "/cmq-postgres-template-" + std::to_string(geteuid()) + "-" + key;
  if (!fs::exists(template_dir + "/PG_VERSION")) {
    // initdb in a directory of its own, then one rename: a test process running beside
    // this one sees either no template or a whole one, and if both make one, the
    // first rename wins.
    TempDir staging(parent);
    if (::testing::AssertionResult given = give_to_server(staging.path()); !given) return given;
    Program initdb;
    initdb.argv = launcher_;
    initdb.argv.insert(initdb.argv.end(),
                       {options_.bin_dir + "/initdb", "--pgdata=" + staging.path() + "/data"});
    initdb.argv.insert(initdb.argv.end(), initdb_args.begin(), initdb_args.end());
    Note("making the template cluster: " + Join(initdb.argv));
    RunResult made = RunProgram(initdb, merged);
    std::ofstream(log_path_, std::ios::app) << made.out;
    if (made.exit_status != 0) return Failure("initdb failed (its output is in the log)");
    if (rename((staging.path() + "/data").c_str(), template_dir.c_str()) != 0 &&
        !fs::exists(template_dir + "/PG_VERSION")) {
      return Failure("rename to " + template_dir + ": " + std::strerror(errno));
    }
  }
  Program copy;
  copy.argv = launcher_;
  copy.argv.insert(copy.argv.end(), {"/bin/cp", "-a", template_dir, data_dir_});
  RunResult copied = RunProgram(copy, merged);
  if (copied.exit_status != 0) return Failure("copying the template failed: " + copied.out);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PostgresServer::Launch() {
  Program program;
  program.argv = launcher_;
  program.argv.insert(program.argv.end(),
                      {options_.bin_dir + "/postgres", "-D", data_dir_, "-p", std::to_string(port_),
                       "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir(),
                       // Dynamic shared memory in the data directory, not in /dev/shm,
                       // where a killed server would leave it behind.
                       "-c", "dynamic_shared_memory_type=mmap",
                       // The defaults, stated: the tests rely on them.
                       "-c", "fsync=on", "-c", "synchronous_commit=on"});
  for (const std::string& setting : options_.settings) {
    program.argv.insert(program.argv.end(), {"-c", setting});
  }
  Note("starting: " + Join(program.argv));
  StdStreams streams;
  streams.out = log_path_;
  streams.append = true;
  std::string error;
  if (!postmaster_.Start(program, streams, &error)) return Failure(error);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PostgresServer::WaitUntilReady() {
  const std::string conninfo = Dsn("postgres") + " connect_timeout=10";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLimitMs);
  // Until the postmaster says "ready" in postmaster.pid, each ping would only make it
  // start a process to refuse the connection, slowing its start or crash recovery.
  while (!SaysReady(data_dir_) || PQping(conninfo.c_str()) != PQPING_OK) {
    if (std::optional<int> status = postmaster_.Poll()) {
      return Failure("postgres exited with status " + std::to_string(*status) +
                     " before accepting connections");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Kill9();
      return Failure("postgres did not accept connections within " +
                     std::to_string(kLimitMs / 1000) + " s; killed");
    }
    // Polling the server until it answers; not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Note("accepting connections on port " + std::to_string(port_));
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PostgresServer::Stop() {
  if (!running()) return ::testing::AssertionSuccess();
  CloseAdminConnection();
  postmaster_.Signal(SIGINT);  // fast shutdown
  std::optional<int> status = postmaster_.Wait(kLimitMs);
  if (!status) {
    Kill9();
    return Failure("postgres did not shut down within " + std::to_string(kLimitMs / 1000) +
                   " s; killed");
  }
  Note("stopped (exit status " + std::to_string(*status) + ")");
  if (*status != 0) return Failure("postgres exited with status " + std::to_string(*status));
  return ::testing::AssertionSuccess();
}

void PostgresServer::Kill9() {
  if (!running()) return;
  // The postmaster first, so that it starts no new process; then whatever it left.
  postmaster_.Signal(SIGKILL);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLimitMs);
  for (std::vector<pid_t> left = Processes(); !left.empty(); left = Processes()) {
    if (std::chrono::steady_clock::now() > deadline) {
      Note("processes still running after SIGKILL: " + std::to_string(left.size()));
      break;
    }
    for (pid_t pid : left) kill(pid, SIGKILL);
    // Waiting for the kernel to end them; not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  postmaster_.Kill();  // reaps it
  ReleaseSharedMemory(data_dir_);
  // Its peer is gone: closing only frees the connection.
  CloseAdminConnection();
  Note("killed with SIGKILL");
}

std::string PostgresServer::CreateDatabase() {
  std::lock_guard<std::mutex> lock(admin_mu_);
  if (!running()) {
    ADD_FAILURE() << "CreateDatabase: the PostgreSQL server does not run";
    return "";
  }
  if (admin_ == nullptr) {
    admin_ = PQconnectdb(Dsn("postgres").c_str());
    if (PQstatus(admin_) != CONNECTION_OK) {
      ADD_FAILURE() << "CreateDatabase: connecting to " << Dsn("postgres") << ": "
                    << PQerrorMessage(admin_);
      PQfinish(admin_);
      admin_ = nullptr;
      return "";
    }
  }
  const std::string name = "test_" + std::to_string(++databases_made_);
  PGresult* result = PQexec(admin_, ("CREATE DATABASE " + name + " TEMPLATE template0").c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  if (!ok) {
    ADD_FAILURE() << "CREATE DATABASE " << name << ": " << PQerrorMessage(admin_);
    return "";
  }
  return name;
}

namespace {

struct SharedServer {
  bool tried = false;
  std::string error;
  std::unique_ptr<PostgresServer> server;
};

}  // namespace

PostgresServer* SharedPostgresServer() {
  static SharedServer shared;
  if (!shared.tried) {
    shared.tried = true;
    auto server = std::make_unique<PostgresServer>();
    if (::testing::AssertionResult started = server->Start()) {
      shared.server = std::move(server);
    } else {
      shared.error = started.message();
    }
  }
  if (shared.server == nullptr) {
    ADD_FAILURE() << "the shared PostgreSQL server did not start: " << shared.error;
    return nullptr;
  }
  return shared.server.get();
}

std::string FreshDatabaseDsn() {
  PostgresServer* server = SharedPostgresServer();
  if (server == nullptr) return "";
  std::string name = server->CreateDatabase();
  return name.empty() ? "" : server->Dsn(name);
}

}  // namespace cmq::testing
