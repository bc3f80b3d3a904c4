// PgConn: one libpq connection, used by one thread at a time, with a deadline on every
// call. libpq is used in non-blocking mode and every wait is a poll() bounded by the
// caller's timeout, so a PostgreSQL server that stops answering (a dead primary whose
// packets vanish, a failover in progress) costs a caller at most its timeout, never a
// hang.
//
// Errors are kStorageUnavailable ("PostgreSQL: <SQLSTATE> <message>" in the detail,
// retryable: reconnect and try again), except disk full on the server (SQLSTATE 53100)
// which is kDiskFull. After a timeout or a lost connection the connection is broken()
// and must be replaced: whether a statement in flight was committed is unknown.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace cmq::pglog {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r);
  int rows() const;
  // Text (or, for binary results, raw) value of a field; empty for NULL.
  std::string_view Get(int row, int col) const;
  bool IsNull(int row, int col) const;
  int64_t GetInt(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const;

 private:
  struct Clear {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

// A statement parameter: text unless `binary` (then raw bytes, e.g. bytea, or a
// big-endian integer of the parameter's type).
struct PgParam {
  std::string_view value;
  bool binary = false;
};

class PgConn {
 public:
  // Connects within `timeout_ms` (every host of a multi-host DSN is tried, as libpq
  // does). `application_name` names the connection in pg_stat_activity.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& dsn,
                                                 const std::string& application_name,
                                                 int timeout_ms);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs `sql` (one statement, or several without parameters) and returns the last
  // result. Rows come back in text format.
  Result<PgResult> Exec(std::string_view sql, std::span<const PgParam> params = {},
                        int timeout_ms = kDefaultTimeoutMs);
  // Prepares `sql` under `name` (once per connection), and runs a prepared statement.
  Status Prepare(const std::string& name, std::string_view sql, int timeout_ms = kDefaultTimeoutMs);
  Result<PgResult> ExecPrepared(const std::string& name, std::span<const PgParam> params,
                                int timeout_ms = kDefaultTimeoutMs);
  // As Exec, with rows in binary format (bytea comes back raw).
  Result<PgResult> ExecBinary(std::string_view sql, std::span<const PgParam> params,
                              int timeout_ms = kDefaultTimeoutMs);

  // True once the connection was lost or a call timed out; it must be replaced.
  bool broken() const { return broken_; }
  // host:port of the server this connection reached.
  std::string server() const;

  static constexpr int kDefaultTimeoutMs = 10000;

 private:
  explicit PgConn(pg_conn* conn) : conn_(conn) {}
  Result<PgResult> Run(std::string_view what, bool sent, int timeout_ms);
  Status Broken(std::string why);

  pg_conn* conn_;
  bool broken_ = false;
};

// Big-endian encodings for binary parameters of types int4 and int8.
std::string PgInt4(int32_t v);
std::string PgInt8(int64_t v);

}  // namespace cmq::pglog
