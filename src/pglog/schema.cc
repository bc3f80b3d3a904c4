#include "pglog/schema.h"

#include <optional>

namespace cmq::pglog {
namespace {

// Any constant shared by every cmqd: the key of the advisory lock migrations hold.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7305617734521090561)";

// Version 1. Segment tables (cmq_log_<partition>_<segment>) are created by the log as
// it rolls; they hold one row per group commit (see pg_record_log.h).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE cmq_cluster (
  id int PRIMARY KEY CHECK (id = 1),
  partitions int NOT NULL CHECK (partitions > 0),
  created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE cmq_partitions (
  partition int PRIMARY KEY,
  owner text,
  owner_address text,
  epoch bigint NOT NULL DEFAULT 0,
  lease_until timestamptz NOT NULL DEFAULT '-infinity',
  claimed_at timestamptz);
CREATE TABLE cmq_nodes (
  node_id text PRIMARY KEY,
  address text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE cmq_segments (
  partition int NOT NULL,
  segment bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partition, segment));
)sql";

// Version 2: the default account's key pair, shared by every node of the cluster.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE cmq_credentials (
  app_id bigint PRIMARY KEY,
  secret_id text NOT NULL,
  secret_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
)sql";

}  // namespace

std::string SegmentTable(uint32_t partition, uint32_t segment) {
  return "cmq_log_" + std::to_string(partition) + "_" + std::to_string(segment);
}

Status MigrateSchema(PgConn* conn, int partitions) {
  CMQ_RETURN_IF_ERROR(conn->Exec("BEGIN").status());
  auto fail = [&](Status s) {
    if (!conn->broken()) {
      Status rolled_back = conn->Exec("ROLLBACK").status();
      (void)rolled_back;  // the error being returned says what went wrong
    }
    return s;
  };
  auto run = [&](std::string_view sql) { return conn->Exec(sql).status(); };
  Status s = run(kMigrationLock);
  if (s.ok()) s = run("CREATE TABLE IF NOT EXISTS cmq_schema (version int NOT NULL)");
  if (!s.ok()) return fail(s);
  auto version = conn->Exec("SELECT version FROM cmq_schema");
  if (!version.ok()) return fail(version.status());
  int have = version->rows() == 0 ? 0 : static_cast<int>(version->GetInt(0, 0));
  if (have > kSchemaVersion) {
    return fail(Status(ErrorCode::kInternal,
                       "the database's cmq schema is version " + std::to_string(have) +
                           ", newer than this cmqd (version " + std::to_string(kSchemaVersion) +
                           "): upgrade cmqd"));
  }
  if (have < 1) {
    s = run(kVersion1);
    std::string n = std::to_string(partitions);
    if (s.ok()) s = run("INSERT INTO cmq_cluster (id, partitions) VALUES (1, " + n + ")");
    if (s.ok()) {
      s = run("INSERT INTO cmq_partitions (partition) SELECT generate_series(0, " + n +
              " - 1)");
    }
    if (!s.ok()) return fail(s);
  }
  // Each later version: one step in this same transaction.
  if (have < 2) {
    s = run(kVersion2);
    if (!s.ok()) return fail(s);
  }
  if (have != kSchemaVersion) {
    s = have == 0 ? run("INSERT INTO cmq_schema (version) VALUES (" +
                        std::to_string(kSchemaVersion) + ")")
                  : run("UPDATE cmq_schema SET version = " + std::to_string(kSchemaVersion));
    if (!s.ok()) return fail(s);
  }
  return conn->Exec("COMMIT").status();
}

Result<std::optional<StoredKeyPair>> LoadKeyPair(PgConn* conn, uint64_t app_id) {
  std::string id = std::to_string(app_id);
  PgParam params[] = {{id}};
  auto r = conn->Exec("SELECT secret_id, secret_key FROM cmq_credentials WHERE app_id = $1",
                      params);
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<StoredKeyPair>();
  return std::optional<StoredKeyPair>(
      StoredKeyPair{std::string(r->Get(0, 0)), std::string(r->Get(0, 1))});
}

Result<StoredKeyPair> KeepKeyPair(PgConn* conn, uint64_t app_id, const StoredKeyPair& pair) {
  std::string id = std::to_string(app_id);
  PgParam params[] = {{id}, {pair.secret_id}, {pair.secret_key}};
  auto r = conn->Exec(
      "INSERT INTO cmq_credentials (app_id, secret_id, secret_key) VALUES ($1, $2, $3) "
      "ON CONFLICT (app_id) DO NOTHING",
      params);
  if (!r.ok()) return r.status();
  auto kept = LoadKeyPair(conn, app_id);
  if (!kept.ok()) return kept.status();
  if (!kept->has_value()) {
    return Status(ErrorCode::kInternal, "cmq_credentials lost the key pair just kept");
  }
  return **kept;
}

Result<int> PartitionCount(PgConn* conn) {
  auto r = conn->Exec("SELECT partitions FROM cmq_cluster WHERE id = 1");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return Status(ErrorCode::kInternal, "cmq_cluster has no row");
  return static_cast<int>(r->GetInt(0, 0));
}

}  // namespace cmq::pglog
