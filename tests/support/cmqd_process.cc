#include "support/cmqd_process.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "support/postgres_server.h"

namespace cmq::testing {
namespace {

// A bound for a hung start only: cmqd under ASan, recovering a journal beside a CPU
// hog, takes seconds.
constexpr auto kStartLimit = std::chrono::seconds(120);

// The database of `data_dir`'s cmqd in the distributed mode, made on first use; ""
// (with a test failure recorded) if there is no PostgreSQL server.
std::string DatabaseFor(const std::string& data_dir) {
  std::string path = data_dir + "/postgres_dsn";
  std::string dsn = ReadWholeFile(path);
  if (!dsn.empty()) return dsn;
  dsn = FreshDatabaseDsn();
  if (!dsn.empty()) std::ofstream(path) << dsn;
  return dsn;
}

}  // namespace

bool TestStorageIsPostgres() {
  const char* storage = getenv("CMQ_TEST_STORAGE");
  return storage != nullptr && std::string(storage) == "postgres";
}

CmqdProcess::CmqdProcess(std::string data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {
  // Inside the data directory, so that removing a TempDir removes the log too.
  log_path_ = data_dir_ + "/cmqd.log";
}

CmqdProcess::~CmqdProcess() { Kill9(); }

void CmqdProcess::set_environment(std::vector<std::string> entries) {
  environment_ = std::move(entries);
}

std::string CmqdProcess::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string CmqdProcess::output() const { return ReadWholeFile(log_path_); }

void CmqdProcess::Note(const std::string& line) const {
  std::ofstream(log_path_, std::ios::app) << "[CmqdProcess] " << line << "\n";
}

bool CmqdProcess::Start() {
  if (running()) return false;
  // Remember where this run's output starts, so an earlier run's line is not reused.
  size_t offset = output().size();
  start_exit_status_ = -1;
  Program program;
  // The admin listener on a free port too: tests run many cmqd side by side.
  program.argv = {CMQD_PATH,     "--listen",   "127.0.0.1:0",      "--admin-listen",
                  "127.0.0.1:0", "--data-dir", data_dir_ + "/data"};
  if (pass_key_pair_) {
    program.argv.insert(program.argv.end(), {"--secret-id", kSecretId, "--secret-key", kSecretKey});
  }
  if (TestStorageIsPostgres()) {
    std::string dsn = DatabaseFor(data_dir_);
    if (dsn.empty()) {
      Note("no PostgreSQL server for CMQ_TEST_STORAGE=postgres");
      return false;
    }
    program.argv.insert(program.argv.end(),
                        {"--storage", "postgres", "--postgres-dsn", dsn, "--node-id", "blackbox"});
  }
  program.argv.insert(program.argv.end(), extra_args_.begin(), extra_args_.end());
  program.argv.insert(program.argv.begin(), launcher_.begin(), launcher_.end());
  program.environment = environment_;
  StdStreams streams;
  streams.out = log_path_;
  streams.append = true;
  std::string error;
  if (!child_.Start(program, streams, &error)) {
    Note(error);
    return false;
  }
  const std::string marker = "listening on http://127.0.0.1:";
  // Printed before the listening line, unless extra arguments turned them off (admin)
  // or did not turn them on (--tls-listen).
  auto port_after = [&](const std::string& out, std::string_view m) -> uint16_t {
    size_t at = out.find(m, offset);
    return at == std::string::npos ? 0 : static_cast<uint16_t>(atoi(out.c_str() + at + m.size()));
  };
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = output();
    size_t pos = out.find(marker, offset);
    if (pos != std::string::npos) {
      port_ = static_cast<uint16_t>(atoi(out.c_str() + pos + marker.size()));
      admin_port_ = port_after(out, "admin listener on http://127.0.0.1:");
      if (admin_port_ == 0) admin_port_ = port_after(out, "admin listener on https://127.0.0.1:");
      tls_port_ = port_after(out, "HTTPS listener on https://127.0.0.1:");
      if (port_ != 0) return true;
    }
    if (std::optional<int> status = child_.Poll()) {
      start_exit_status_ = *status;
      Note("cmqd exited with status " + std::to_string(*status) + " before listening");
      return false;
    }
    // Polling the log for the start-up line; this is not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Note("cmqd did not print its listening line within " +
       std::to_string(std::chrono::seconds(kStartLimit).count()) + " s; killed");
  Kill9();
  return false;
}

void CmqdProcess::Kill9() { child_.Kill(); }

int CmqdProcess::Terminate(int timeout_ms) {
  if (!running()) return -1;
  child_.Signal(SIGTERM);
  if (std::optional<int> status = child_.Wait(timeout_ms)) return *status;
  Kill9();
  return -1;
}

uint64_t CmqdProcess::RssBytes() const {
  if (!running()) return 0;
  std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace cmq::testing
