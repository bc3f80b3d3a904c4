#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "support/temp_dir.h"

extern char** environ;

namespace cmq::testing {
namespace {

// The child's environment: the test's own (when inherited) less the names that
// program.environment sets, then program.environment.
std::vector<std::string> ChildEnvironment(const Program& program) {
  std::vector<std::string> env;
  if (program.inherit_environment) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view entry = *e;
      std::string_view name = entry.substr(0, entry.find('='));
      bool overridden = false;
      for (const std::string& set : program.environment) {
        if (set.size() > name.size() && set.compare(0, name.size(), name) == 0 &&
            set[name.size()] == '=') {
          overridden = true;
          break;
        }
      }
      if (!overridden) env.emplace_back(entry);
    }
  }
  env.insert(env.end(), program.environment.begin(), program.environment.end());
  return env;
}

// Pointers into `strings`, null-terminated, as execve wants them.
std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

int DecodeWaitStatus(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Owns posix_spawn's attribute objects for the length of one Start.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Returns 0 or an errno value, like the posix_spawn calls.
  int Prepare(const StdStreams& streams) {
    const int out_flags = O_WRONLY | O_CREAT | (streams.append ? O_APPEND : O_TRUNC);
    in_ = streams.in.empty() ? "/dev/null" : streams.in;
    out_ = streams.out.empty() ? "/dev/null" : streams.out;
    int rc = posix_spawn_file_actions_addopen(&actions_, 0, in_.c_str(), O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions_, 1, out_.c_str(), out_flags, 0644);
    if (rc == 0 && streams.err.empty()) {
      rc = posix_spawn_file_actions_adddup2(&actions_, 1, 2);
    } else if (rc == 0) {
      err_ = streams.err;
      rc = posix_spawn_file_actions_addopen(&actions_, 2, err_.c_str(), out_flags, 0644);
    }
    // Descriptors the test opened without O_CLOEXEC (listening sockets, pipes) must
    // not live on in a child: a cmqd holding a test's socket would keep it open.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    // The child starts like one started from a shell: no blocked signals (a test
    // thread may block some) and default dispositions (ignored ones would be
    // inherited through exec).
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr_, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &all);
    if (rc == 0)
      rc = posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    return rc;
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
  // The paths stay alive until the spawn, whether or not the file actions copy them.
  std::string in_, out_, err_;
};

}  // namespace

ChildProcess::~ChildProcess() { Kill(); }

bool ChildProcess::Start(const Program& program, const StdStreams& streams, std::string* error) {
  if (running()) {
    *error = "a child is already running";
    return false;
  }
  if (program.argv.empty()) {
    *error = "no program given";
    return false;
  }
  std::vector<std::string> args = program.argv;
  std::vector<std::string> env = ChildEnvironment(program);
  std::vector<char*> argv = NullTerminated(args);
  std::vector<char*> envp = NullTerminated(env);
  SpawnSetup setup;
  int rc = setup.Prepare(streams);
  pid_t pid = -1;
  if (rc == 0)
    rc = posix_spawn(&pid, argv[0], setup.actions(), setup.attr(), argv.data(), envp.data());
  if (rc != 0) {
    *error = "posix_spawn " + program.argv[0] + ": " + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  return true;
}

std::optional<int> ChildProcess::Poll() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  pid_ = -1;
  return DecodeWaitStatus(status);
}

std::optional<int> ChildProcess::Wait(int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::optional<int> status = Poll();
    if (status || pid_ <= 0 || std::chrono::steady_clock::now() >= deadline) return status;
    // Polling for the child's exit (waitpid has no timeout); not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::optional<int> ChildProcess::Kill() {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return DecodeWaitStatus(status);
}

RunResult RunProgram(const Program& program, const RunOptions& options) {
  RunResult result;
  TempDir dir;
  StdStreams streams;
  streams.in = dir.path() + "/in";
  streams.out = dir.path() + "/out";
  if (!options.merge_stderr) streams.err = dir.path() + "/err";
  std::ofstream(streams.in, std::ios::binary) << options.input;
  ChildProcess child;
  if (!child.Start(program, streams, &result.err)) return result;
  std::optional<int> status = child.Wait(options.limit_ms);
  if (status) {
    result.exit_status = *status;
  } else {
    result.timed_out = true;
    child.Kill();
  }
  result.out = ReadWholeFile(streams.out);
  if (!options.merge_stderr) result.err = ReadWholeFile(streams.err);
  return result;
}

std::vector<std::string> Words(std::string_view command_line) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < command_line.size()) {
    size_t end = command_line.find(' ', pos);
    if (end == std::string_view::npos) end = command_line.size();
    if (end > pos) words.emplace_back(command_line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

}  // namespace cmq::testing
