#include <pthread.h>

#include <thread>

#include "env/env_internal.h"

namespace cmq::env::internal {
namespace {

class StdThread : public Env::Thread {
 public:
  StdThread(std::string name, std::function<void()> fn)
      : thread_([name = std::move(name), fn = std::move(fn)] {
          // Linux limits names to 16 bytes including the terminator.
          pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
          fn();
        }) {}
  ~StdThread() override { Join(); }
  void Join() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Env::Thread> StartStdThread(std::string name, std::function<void()> fn) {
  return std::make_unique<StdThread>(std::move(name), std::move(fn));
}

std::string NormalizePath(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string ParentDir(const std::string& path) {
  std::string p = NormalizePath(path);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return p.size() > 1 ? "/" : "";
  return p.substr(0, slash);
}

}  // namespace cmq::env::internal
