// The one way tests run a built program (cmqd, cmqctl, cmq-bench, an example) as a
// child process.
//
// Tests start children while other threads of the test process run (client threads
// of the crash tests, gtest's own). After fork() only async-signal-safe calls are
// allowed in the child: an allocation there can wait forever for a lock another thread
// held at the fork (a hang seen under ASan). So children are started with posix_spawn,
// and everything they need (argv, environment, redirections) is prepared before it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cmq::testing {

// What to run.
struct Program {
  // argv[0] is the program's path; PATH is not searched.
  std::vector<std::string> argv;
  // "NAME=VALUE" entries added to (and overriding) the environment of the test
  // process, or the child's whole environment when inherit_environment is false.
  std::vector<std::string> environment;
  bool inherit_environment = true;
};

// Where the child's standard streams go. Output files are created (mode 0644) if
// missing.
struct StdStreams {
  std::string in;       // "" : /dev/null
  std::string out;      // "" : /dev/null
  std::string err;      // "" : the same file as out
  bool append = false;  // append to out and err instead of truncating them
};

// One child process. Not thread-safe. The destructor kills (SIGKILL) and reaps a child
// that still runs, so a failed ASSERT never leaves one behind.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `program` (when none runs). False with `*error` set if it could not be
  // started (for example "posix_spawn /x: No such file or directory").
  bool Start(const Program& program, const StdStreams& streams, std::string* error);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // The exit status (the exit code, or 128 + the signal that ended it) once the child
  // has exited (it is reaped then); nullopt while it runs or when none was started.
  std::optional<int> Poll();
  // Like Poll, waiting up to `timeout_ms` for the exit.
  std::optional<int> Wait(int64_t timeout_ms);
  // Sends `signal` to a running child.
  void Signal(int signal);
  // SIGKILL and reap; the exit status, or nullopt when no child was running.
  std::optional<int> Kill();

 private:
  pid_t pid_ = -1;
};

// What RunProgram saw.
struct RunResult {
  // The exit code, or 128 + signal; -1 if the program could not be started (`err`
  // says why) or was killed at the limit (timed_out).
  int exit_status = -1;
  bool timed_out = false;
  std::string out;  // stdout, and stderr too when merge_stderr
  std::string err;
};

struct RunOptions {
  std::string input;          // the child's stdin
  bool merge_stderr = false;  // stderr into `out`, interleaved as written
  int64_t limit_ms = 60000;   // then the child is killed; a bound for hung tests only
};

// Runs `program` to completion and collects what it printed.
RunResult RunProgram(const Program& program, const RunOptions& options = {});

// `command_line` split at spaces, for argv written as one string in a test. No shell
// quoting: an argument that holds a space must be added on its own.
std::vector<std::string> Words(std::string_view command_line);

}  // namespace cmq::testing
