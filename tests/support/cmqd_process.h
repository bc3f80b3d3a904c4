// Runs the real cmqd binary for black-box tests: on a free port of 127.0.0.1, on a
// data directory that survives restarts, stopped gracefully or with kill -9.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cmq::testing {

// A fresh empty directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class CmqdProcess {
 public:
  static constexpr char kSecretId[] = "AKIDblackboxtest0000000000000000";
  static constexpr char kSecretKey[] = "blackbox-secret-key-0123456789ab";

  // `data_dir` must exist. `extra_args` are appended to the command line.
  explicit CmqdProcess(std::string data_dir, std::vector<std::string> extra_args = {});
  ~CmqdProcess();  // kill -9 if still running

  // "NAME=VALUE" entries added to the environment of every later Start(): the child
  // gets this process's environment with these entries replacing same-named ones.
  void set_environment(std::vector<std::string> entries) { environment_ = std::move(entries); }

  // Starts cmqd and waits until it prints its listening address. False (with the
  // output in output()) if it exits or does not listen within 30 s.
  bool Start();
  // SIGKILL and reap.
  void Kill9();
  // SIGTERM; waits up to `timeout_ms` and returns the exit status (or -1 on timeout,
  // after which the process is killed).
  int Terminate(int timeout_ms = 60000);
  bool running() const { return pid_ > 0; }
  // Exit status of a run that ended by itself while Start() waited for it (a refused
  // start); -1 if none did.
  int start_exit_status() const { return start_exit_status_; }
  uint16_t port() const { return port_; }
  std::string endpoint() const;
  // Everything cmqd printed so far (stdout and stderr of all its runs).
  std::string output() const;
  // Resident set size of the running process in bytes (from /proc), 0 if unknown.
  uint64_t RssBytes() const;

 private:
  std::string data_dir_;
  std::string log_path_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> environment_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int start_exit_status_ = -1;
};

}  // namespace cmq::testing
