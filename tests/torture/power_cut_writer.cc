// power_cut_writer ROOT COMMAND...: the program power_cut_test.cc runs under the
// power-cut library. It performs file operations under ROOT with the same calls as
// src/env/posix_env.cc and ends by killing itself with SIGKILL. Each COMMAND is one
// argument, its fields separated by ':' (FILE and DIR are relative to ROOT):
//   pwrite:FILE:OFFSET:LENGTH:CHAR    pwrite LENGTH copies of CHAR
//   append:FILE:LENGTH:CHAR           write() at the end of the file
//   pwritev:FILE:OFFSET:LENGTH:CHAR   pwritev of two halves
//   direct:FILE:OFFSET:LENGTH:CHAR    pwrite through O_DIRECT (4 KiB aligned)
//   datasync:FILE  fsync:FILE  truncate:FILE:LENGTH  fallocate:FILE:OFFSET:LENGTH
//   posix_fallocate:FILE:OFFSET:LENGTH  unlink:FILE  rename:FROM:TO  mkdir:DIR
//   syncdir:DIR (fsync of an O_DIRECTORY descriptor; "." is ROOT)
//   acked:FILE   sync ROOT, then forever: append line i, fdatasync, print i on stdout
// Files are opened O_RDWR|O_CREAT on first use. Exits 2 at the first failing call.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string root;
std::map<std::string, int> open_files;

[[noreturn]] void Fail(const std::string& what) {
  fprintf(stderr, "power_cut_writer: %s: %s\n", what.c_str(), strerror(errno));
  exit(2);
}

void Check(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

int FileFd(const std::string& name) {
  auto it = open_files.find(name);
  if (it != open_files.end()) return it->second;
  int fd = open((root + "/" + name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  Check(fd >= 0, "open " + name);
  open_files[name] = fd;
  return fd;
}

long Num(const std::string& s) { return std::strtol(s.c_str(), nullptr, 10); }

void Run(const std::vector<std::string>& f) {
  const std::string& op = f[0];
  std::string path = f.size() > 1 ? root + "/" + f[1] : root;
  if (op == "pwrite" || op == "pwritev" || op == "direct") {
    std::string data(Num(f[3]), f[4][0]);
    off_t off = Num(f[2]);
    if (op == "pwrite") {
      Check(pwrite(FileFd(f[1]), data.data(), data.size(), off) == ssize_t(data.size()), op);
    } else if (op == "pwritev") {
      size_t half = data.size() / 2;
      iovec iov[2] = {{data.data(), half}, {data.data() + half, data.size() - half}};
      Check(pwritev(FileFd(f[1]), iov, 2, off) == ssize_t(data.size()), op);
    } else {
      int fd = open(path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
      // Where O_DIRECT is refused (tmpfs), buffered, as src/env/posix_env.cc does.
      if (fd < 0 && errno == EINVAL) fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      Check(fd >= 0, "open O_DIRECT " + f[1]);
      void* buf = nullptr;
      Check(posix_memalign(&buf, 4096, data.size()) == 0, "posix_memalign");
      memcpy(buf, data.data(), data.size());
      Check(pwrite(fd, buf, data.size(), off) == ssize_t(data.size()), op);
      free(buf);
      close(fd);
    }
  } else if (op == "append") {
    std::string data(Num(f[2]), f[3][0]);
    int fd = FileFd(f[1]);
    Check(lseek(fd, 0, SEEK_END) >= 0, "lseek");
    Check(write(fd, data.data(), data.size()) == ssize_t(data.size()), op);
  } else if (op == "datasync") {
    Check(fdatasync(FileFd(f[1])) == 0, op);
  } else if (op == "fsync") {
    Check(fsync(FileFd(f[1])) == 0, op);
  } else if (op == "truncate") {
    Check(ftruncate(FileFd(f[1]), Num(f[2])) == 0, op);
  } else if (op == "fallocate") {
    Check(fallocate(FileFd(f[1]), 0, Num(f[2]), Num(f[3])) == 0, op);
  } else if (op == "posix_fallocate") {
    Check(posix_fallocate(FileFd(f[1]), Num(f[2]), Num(f[3])) == 0, op);
  } else if (op == "unlink") {
    Check(unlink(path.c_str()) == 0, op);
  } else if (op == "rename") {
    Check(rename(path.c_str(), (root + "/" + f[2]).c_str()) == 0, op);
  } else if (op == "mkdir") {
    Check(mkdir(path.c_str(), 0755) == 0, op);
  } else if (op == "syncdir") {
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    Check(fd >= 0 && fsync(fd) == 0, op);
    close(fd);
  } else if (op == "acked") {
    int fd = FileFd(f[1]);
    int dir = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    Check(dir >= 0 && fsync(dir) == 0, "syncdir before acked");  // the file's entry
    for (long i = 0;; ++i) {
      std::string line = "line " + std::to_string(i) + " " + std::string(i % 5000, 'x') + "\n";
      Check(write(fd, line.data(), line.size()) == ssize_t(line.size()), op);
      Check(fdatasync(fd) == 0, op);
      printf("%ld\n", i);
      fflush(stdout);
    }
  } else {
    errno = EINVAL;
    Fail("unknown command " + op);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: power_cut_writer ROOT COMMAND...\n");
    return 2;
  }
  root = argv[1];
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // "acked" runs until killed: never outlive the test
  for (int i = 2; i < argc; ++i) {
    std::vector<std::string> fields;
    std::stringstream ss(argv[i]);
    std::string field;
    while (std::getline(ss, field, ':')) fields.push_back(field);
    Run(fields);
  }
  raise(SIGKILL);
  return 0;
}
