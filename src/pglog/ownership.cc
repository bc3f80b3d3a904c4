#include "pglog/ownership.h"

namespace cmq::pglog {
namespace {

constexpr const char* kRowColumns =
    "partition, coalesce(owner, ''), coalesce(owner_address, ''), epoch, "
    "floor(extract(epoch from (greatest(lease_until, now() - interval '1 day') - now())) "
    "* 1000)::bigint";

PartitionOwner RowAt(const PgResult& r, int i) {
  PartitionOwner o;
  o.partition = static_cast<uint32_t>(r.GetInt(i, 0));
  o.owner = std::string(r.Get(i, 1));
  o.owner_address = std::string(r.Get(i, 2));
  o.epoch = static_cast<uint64_t>(r.GetInt(i, 3));
  o.lease_left_ms = r.GetInt(i, 4);  // a day ago at most: never leased reads as expired
  return o;
}

}  // namespace

Result<ClaimOutcome> TryClaim(PgConn* conn, uint32_t partition, const std::string& node_id,
                              const std::string& address, int lease_ms) {
  std::string p = std::to_string(partition), lease = std::to_string(lease_ms);
  PgParam params[] = {{p}, {node_id}, {address}, {lease}};
  auto claimed = conn->Exec(
      "UPDATE cmq_partitions SET owner = $2, owner_address = $3, epoch = epoch + 1, "
      "lease_until = now() + $4::int * interval '1 millisecond', claimed_at = now() "
      "WHERE partition = $1 AND (owner IS NULL OR lease_until <= now() OR owner = $2) "
      "RETURNING epoch",
      params);
  if (!claimed.ok()) return claimed.status();
  ClaimOutcome out;
  if (claimed->rows() == 1) {
    out.claimed = true;
    out.row = {partition, node_id, address, static_cast<uint64_t>(claimed->GetInt(0, 0)),
               lease_ms};
    return out;
  }
  PgParam one[] = {{p}};
  auto row = conn->Exec(std::string("SELECT ") + kRowColumns +
                            " FROM cmq_partitions WHERE partition = $1",
                        one);
  if (!row.ok()) return row.status();
  if (row->rows() != 1) {
    return Status(ErrorCode::kInternal, "partition " + p + " is not in cmq_partitions");
  }
  out.row = RowAt(*row, 0);
  return out;
}

Status RenewLease(PgConn* conn, uint32_t partition, uint64_t epoch, int lease_ms) {
  std::string p = std::to_string(partition), e = std::to_string(epoch),
              lease = std::to_string(lease_ms);
  PgParam params[] = {{p}, {e}, {lease}};
  auto r = conn->Exec(
      "UPDATE cmq_partitions SET lease_until = now() + $3::int * interval '1 millisecond' "
      "WHERE partition = $1 AND epoch = $2",
      params);
  if (!r.ok()) return r.status();
  if (r->affected() != 1) {
    return Status(ErrorCode::kNotServing,
                  "partition " + p + " was taken over: epoch " + e + " is no longer current");
  }
  return Status::Ok();
}

Status ReleaseLease(PgConn* conn, uint32_t partition, uint64_t epoch) {
  std::string p = std::to_string(partition), e = std::to_string(epoch);
  PgParam params[] = {{p}, {e}};
  return conn
      ->Exec("UPDATE cmq_partitions SET owner = NULL, owner_address = NULL, "
             "lease_until = now() WHERE partition = $1 AND epoch = $2",
             params)
      .status();
}

Status Heartbeat(PgConn* conn, const std::string& node_id, const std::string& address,
                 bool starting) {
  PgParam params[] = {{node_id}, {address}, {starting ? "true" : "false"}};
  return conn
      ->Exec("INSERT INTO cmq_nodes (node_id, address) VALUES ($1, $2) "
             "ON CONFLICT (node_id) DO UPDATE SET address = $2, heartbeat_at = now(), "
             "started_at = CASE WHEN $3::boolean THEN now() ELSE cmq_nodes.started_at END",
             params)
      .status();
}

Result<std::vector<PartitionOwner>> ListOwners(PgConn* conn) {
  auto r = conn->Exec(std::string("SELECT ") + kRowColumns +
                      " FROM cmq_partitions ORDER BY partition");
  if (!r.ok()) return r.status();
  std::vector<PartitionOwner> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(RowAt(*r, i));
  return out;
}

}  // namespace cmq::pglog
