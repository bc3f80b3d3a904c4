#include "pglog/pg_conn.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

namespace cmq::pglog {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events` or the deadline passes. False on timeout.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

PgResult::PgResult(pg_result* r) : result_(r) {}
void PgResult::Clear::operator()(pg_result* r) const { PQclear(r); }
int PgResult::rows() const { return result_ ? PQntuples(result_.get()) : 0; }
std::string_view PgResult::Get(int row, int col) const {
  return std::string_view(PQgetvalue(result_.get(), row, col),
                          static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col); }
int64_t PgResult::GetInt(int row, int col) const {
  std::string v(Get(row, col));
  return v.empty() ? 0 : std::stoll(v);
}
int64_t PgResult::affected() const {
  const char* n = result_ ? PQcmdTuples(result_.get()) : "";
  return *n ? std::stoll(n) : 0;
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& dsn,
                                                const std::string& application_name,
                                                int timeout_ms) {
  const char* keys[] = {"dbname", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), application_name.c_str(), nullptr};
  // expand_dbname=1: `dsn` may be a keyword string or a URI.
  pg_conn* raw = PQconnectStartParams(keys, values, 1);
  if (raw == nullptr) return Status(ErrorCode::kStorageUnavailable, "PostgreSQL: out of memory");
  std::unique_ptr<PgConn> conn(new PgConn(raw));
  if (PQstatus(raw) == CONNECTION_BAD) {
    return Status(ErrorCode::kStorageUnavailable,
                  "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(raw)));
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return Status(ErrorCode::kStorageUnavailable,
                    "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(raw)));
    }
    short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!WaitFd(PQsocket(raw), events, deadline)) {
      return Status(ErrorCode::kStorageUnavailable,
                    "cannot connect to PostgreSQL: no answer within " +
                        std::to_string(timeout_ms) + " ms");
    }
    state = PQconnectPoll(raw);
  }
  // Server notices ("relation already exists, skipping") are not errors; libpq would
  // print them on stderr.
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(raw, 1) != 0) {
    return Status(ErrorCode::kStorageUnavailable,
                  "PostgreSQL: cannot make the connection non-blocking");
  }
  return conn;
}

PgConn::~PgConn() { PQfinish(conn_); }

std::string PgConn::server() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  return std::string(host ? host : "?") + ":" + (port ? port : "?");
}

Status PgConn::Broken(std::string why) {
  broken_ = true;
  return Status(ErrorCode::kStorageUnavailable, "PostgreSQL " + server() + ": " + why);
}

namespace {

struct Params {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<std::string> text;  // NUL-terminated copies of text parameters

  explicit Params(std::span<const PgParam> params) {
    text.reserve(params.size());
    for (const PgParam& p : params) {
      if (p.binary) {
        values.push_back(p.value.data());
      } else {
        text.emplace_back(p.value);
        values.push_back(text.back().c_str());
      }
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
  }
};

}  // namespace

Result<PgResult> PgConn::Exec(std::string_view sql, std::span<const PgParam> params,
                              int timeout_ms) {
  if (broken_) return Broken("connection was lost");
  std::string query(sql);
  if (params.empty()) return Run(sql, PQsendQuery(conn_, query.c_str()) == 1, timeout_ms);
  Params p(params);
  bool sent = PQsendQueryParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                                p.values.data(), p.lengths.data(), p.formats.data(), 0) == 1;
  return Run(sql, sent, timeout_ms);
}

Result<PgResult> PgConn::ExecBinary(std::string_view sql, std::span<const PgParam> params,
                                    int timeout_ms) {
  if (broken_) return Broken("connection was lost");
  std::string query(sql);
  Params p(params);
  bool sent = PQsendQueryParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                                p.values.data(), p.lengths.data(), p.formats.data(), 1) == 1;
  return Run(sql, sent, timeout_ms);
}

Status PgConn::Prepare(const std::string& name, std::string_view sql, int timeout_ms) {
  if (broken_) return Broken("connection was lost");
  std::string query(sql);
  bool sent = PQsendPrepare(conn_, name.c_str(), query.c_str(), 0, nullptr) == 1;
  return Run(sql, sent, timeout_ms).status();
}

Result<PgResult> PgConn::ExecPrepared(const std::string& name, std::span<const PgParam> params,
                                      int timeout_ms) {
  if (broken_) return Broken("connection was lost");
  Params p(params);
  bool sent = PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                  p.values.data(), p.lengths.data(), p.formats.data(), 0) == 1;
  return Run(name, sent, timeout_ms);
}

Result<PgResult> PgConn::Run(std::string_view what, bool sent, int timeout_ms) {
  if (!sent) return Broken("cannot send: " + Trimmed(PQerrorMessage(conn_)));
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int sock = PQsocket(conn_);
  // Write everything out (non-blocking mode), reading whatever arrives meanwhile.
  while (true) {
    int f = PQflush(conn_);
    if (f == 0) break;
    if (f < 0) return Broken("cannot send: " + Trimmed(PQerrorMessage(conn_)));
    if (!WaitFd(sock, POLLOUT | POLLIN, deadline)) {
      return Broken("no answer within " + std::to_string(timeout_ms) + " ms");
    }
    if (PQconsumeInput(conn_) == 0) {
      return Broken("connection lost: " + Trimmed(PQerrorMessage(conn_)));
    }
  }
  PgResult last;
  std::string error;
  bool disk_full = false;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!WaitFd(sock, POLLIN, deadline)) {
        return Broken("no answer within " + std::to_string(timeout_ms) + " ms");
      }
      if (PQconsumeInput(conn_) == 0) {
        return Broken("connection lost: " + Trimmed(PQerrorMessage(conn_)));
      }
    }
    pg_result* r = PQgetResult(conn_);
    if (r == nullptr) break;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (error.empty()) {
        error = std::string(state ? state : "?????") + " " + Trimmed(PQresultErrorMessage(r));
        disk_full = state != nullptr && std::strcmp(state, "53100") == 0;
      }
      PQclear(r);
      continue;
    }
    last = PgResult(r);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return Broken("connection lost: " + (error.empty() ? Trimmed(PQerrorMessage(conn_)) : error));
  }
  if (!error.empty()) {
    std::string detail = "PostgreSQL " + server() + ": " + error;
    if (what.size() < 200) detail += " (in: " + std::string(what) + ")";
    return Status(disk_full ? ErrorCode::kDiskFull : ErrorCode::kStorageUnavailable, detail);
  }
  return last;
}

std::string PgInt4(int32_t v) {
  std::string s(4, '\0');
  uint32_t u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(u >> (24 - 8 * i));
  return s;
}

std::string PgInt8(int64_t v) {
  std::string s(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(u >> (56 - 8 * i));
  return s;
}

}  // namespace cmq::pglog
