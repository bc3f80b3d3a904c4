#include "exec_hook.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace cmqctl {

int RunExecHook(const std::string& command, const std::string& queue, const cmq::Message& m,
                std::string* error) {
  // Everything the child needs is built before fork(): after it only async-signal-safe
  // calls are allowed.
  std::vector<std::string> env_strings;
  static const char* const kOurs[] = {"CMQ_QUEUE=", "CMQ_MSG_ID=", "CMQ_RECEIPT_HANDLE=",
                                      "CMQ_DEQUEUE_COUNT=", "CMQ_ENQUEUE_TIME="};
  for (char** e = environ; *e != nullptr; ++e) {
    bool ours = false;
    for (const char* prefix : kOurs)
      ours = ours || std::strncmp(*e, prefix, std::strlen(prefix)) == 0;
    if (!ours) env_strings.emplace_back(*e);
  }
  env_strings.push_back("CMQ_QUEUE=" + queue);
  env_strings.push_back("CMQ_MSG_ID=" + m.msgId);
  env_strings.push_back("CMQ_RECEIPT_HANDLE=" + m.receiptHandle);
  env_strings.push_back("CMQ_DEQUEUE_COUNT=" + std::to_string(m.dequeueCount));
  env_strings.push_back("CMQ_ENQUEUE_TIME=" + std::to_string(m.enqueueTime));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string cmd = command;
  char* argv[] = {shell.data(), dash_c.data(), cmd.data(), nullptr};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  const char* p = m.msgBody.data();
  size_t left = m.msgBody.size();
  while (left > 0) {
    ssize_t n = ::write(fds[1], p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EPIPE: the command does not read its stdin
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      *error = std::string("waitpid: ") + std::strerror(errno);
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace cmqctl
