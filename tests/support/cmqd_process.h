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

  // Starts cmqd and waits until it prints its listening address. False (with the
  // output in output()) if it exits or does not listen within 30 s.
  bool Start();
  // SIGKILL and reap.
  void Kill9();
  // SIGTERM; waits up to `timeout_ms` and returns the exit status (or -1 on timeout,
  // after which the process is killed).
  int Terminate(int timeout_ms = 60000);
  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  std::string endpoint() const;
  // Everything cmqd printed so far (stdout and stderr of all its runs).
  std::string output() const;
  // Resident set size of the running process in bytes (from /proc), 0 if unknown.
  uint64_t RssBytes() const;
  // Programs (absolute paths, with their arguments) that run cmqd from the next
  // Start() on: the command line becomes launcher + cmqd + arguments. Each must exec
  // what follows it in its own process, as prlimit and env do, e.g.
  // {"/usr/bin/prlimit", "--nofile=256:256"}.
  void set_launcher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }

 private:
  std::string data_dir_;
  std::string log_path_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::vector<std::string> launcher_;
};

}  // namespace cmq::testing
