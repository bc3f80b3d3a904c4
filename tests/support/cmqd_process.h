// Runs the real cmqd binary for black-box tests: on a free port of 127.0.0.1 (its admin
// listener on another), on a data directory that survives restarts, stopped
// gracefully or with kill -9.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace cmq::testing {

// Black-box tests run cmqd on its embedded journal, or, when the environment says
// CMQ_TEST_STORAGE=postgres, in the distributed mode: each data directory then gets a
// database of its own on the test process's PostgreSQL server (postgres_server.h), kept
// across restarts, and cmqd runs as a node whose id stays the same, so a restarted
// cmqd claims its partition at once.
bool TestStorageIsPostgres();

// In a test of the embedded journal itself (its files, fdatasync, the disk it fills):
// skipped on the distributed mode, saying why.
#define SKIP_ON_POSTGRES_STORAGE(why) \
  if (::cmq::testing::TestStorageIsPostgres()) GTEST_SKIP() << "embedded storage only: " << why

class CmqdProcess {
 public:
  static constexpr char kSecretId[] = "AKIDblackboxtest0000000000000000";
  static constexpr char kSecretKey[] = "blackbox-secret-key-0123456789ab";

  // `data_dir` must exist; cmqd's own data directory is `data_dir`/data, its output
  // goes to `data_dir`/cmqd.log. `extra_args` are appended to the command line.
  explicit CmqdProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~CmqdProcess();  // kill -9 if still running

  // "NAME=VALUE" entries added to (and overriding) the environment cmqd inherits from
  // the test process, from the next Start() on (LD_PRELOAD, CMQ_SECRET_ID, ...).
  void set_environment(std::vector<std::string> entries);
  // Whether Start() passes --secret-id kSecretId --secret-key kSecretKey (the default).
  // Tests of how cmqd finds its key pair turn this off.
  void set_pass_key_pair(bool pass) { pass_key_pair_ = pass; }

  // Starts cmqd and waits until it prints its listening address. False (with the
  // output in output()) if it exits first or does not listen within 120 s.
  bool Start();
  // SIGKILL and reap.
  void Kill9();
  // SIGTERM; waits up to `timeout_ms` and returns the exit status (or -1 on timeout,
  // after which the process is killed).
  int Terminate(int timeout_ms = 60000);
  // Sends `signal` and returns at once (Terminate waits for the exit).
  void Signal(int signal) { child_.Signal(signal); }
  bool running() const { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  // Exit status of a run that ended by itself while Start() waited for it (a refused
  // start); -1 if none did.
  int start_exit_status() const { return start_exit_status_; }
  uint16_t port() const { return port_; }
  // The admin listener's port (/metrics, /healthz, /readyz); 0 if extra arguments
  // turned it off.
  uint16_t admin_port() const { return admin_port_; }
  // The HTTPS listener's port (--tls-listen 127.0.0.1:0 among the extra arguments); 0
  // if none.
  uint16_t tls_port() const { return tls_port_; }
  std::string endpoint() const;
  // Everything cmqd printed so far (stdout and stderr of all its runs), with a line of
  // the harness's own where a start failed.
  std::string output() const;
  // Resident set size of the running process in bytes (from /proc), 0 if unknown.
  uint64_t RssBytes() const;
  // Programs (absolute paths, with their arguments) that run cmqd from the next
  // Start() on: the command line becomes launcher + cmqd + arguments. Each must exec
  // what follows it in its own process, as prlimit and env do, e.g.
  // {"/usr/bin/prlimit", "--nofile=256:256"}.
  void set_launcher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }

 private:
  // Appends a line of the harness's own to the log, so output() explains a failure.
  void Note(const std::string& line) const;

  std::string data_dir_;
  std::string log_path_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> environment_;
  bool pass_key_pair_ = true;
  ChildProcess child_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t tls_port_ = 0;
  int start_exit_status_ = -1;
  std::vector<std::string> launcher_;
};

}  // namespace cmq::testing
