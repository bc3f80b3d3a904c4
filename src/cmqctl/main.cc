// cmqctl: the command-line tool for CMQ, on the public libcmq SDK only.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace {

size_t TerminalWidth() {
  winsize ws{};
  for (int fd : {STDERR_FILENO, STDOUT_FILENO}) {
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  }
  if (const char* cols = std::getenv("COLUMNS")) {
    int n = std::atoi(cols);
    if (n > 0) return static_cast<size_t>(n);
  }
  return 80;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout (`cmqctl msg consume q | head`) must surface as a failed write that
  // the command notices before deleting the message it could not print.
  ::signal(SIGPIPE, SIG_IGN);
  std::ios::sync_with_stdio(false);

  cmqctl::CliIo io;
  io.in = &std::cin;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.in_fd = STDIN_FILENO;
  io.in_is_tty = ::isatty(STDIN_FILENO) == 1;
  io.out_is_tty = ::isatty(STDOUT_FILENO) == 1;
  io.err_is_tty = ::isatty(STDERR_FILENO) == 1;
  io.terminal_width = TerminalWidth();
  io.env = cmqctl::ProcessEnv();

  std::vector<std::string> args(argv + 1, argv + argc);
  int code = cmqctl::RunCli(args, io);
  std::cout.flush();
  return code;
}
