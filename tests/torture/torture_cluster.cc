#include "torture/torture_cluster.h"

#include "pglog/ownership.h"

namespace cmq::torture {
namespace {

constexpr uint32_t kPartition = 0;  // cmqd serves clusters of one partition
constexpr int kTimeoutMs = 10000;   // a bound for a hung PostgreSQL only

}  // namespace

TortureCluster::TortureCluster(std::string dsn, int nodes, const std::vector<std::string>& args)
    : dsn_(std::move(dsn)) {
  for (int i = 0; i < nodes; ++i) {
    ids_.push_back(std::string("node-") + static_cast<char>('a' + i));
    std::vector<std::string> node_args = {"--storage", "postgres",  "--postgres-dsn",
                                          dsn_,        "--node-id", ids_.back()};
    node_args.insert(node_args.end(), args.begin(), args.end());
    dirs_.push_back(std::make_unique<testing::TempDir>());
    nodes_.push_back(std::make_unique<testing::CmqdProcess>(dirs_.back()->path(), node_args));
  }
}

std::vector<std::string> TortureCluster::Endpoints() const {
  std::vector<std::string> out;
  for (const auto& n : nodes_) {
    if (n->running()) out.push_back(n->endpoint());
  }
  return out;
}

Result<pglog::PgConn*> TortureCluster::Conn() {
  if (conn_ && !conn_->broken()) return conn_.get();
  auto c = pglog::PgConn::Connect(dsn_, "torture-driver", kTimeoutMs);
  if (!c.ok()) return c.status();
  conn_ = std::move(c).value();
  return conn_.get();
}

Result<TortureCluster::Owner> TortureCluster::ReadOwner() {
  auto conn = Conn();
  if (!conn.ok()) return conn.status();
  auto rows = pglog::ListOwners(*conn);
  if (!rows.ok()) return rows.status();
  for (const pglog::PartitionOwner& row : *rows) {
    if (row.partition != kPartition) continue;
    Owner owner;
    owner.epoch = row.epoch;
    owner.lease_live = row.lease_left_ms > 0;
    for (int i = 0; i < size(); ++i) {
      if (row.owner == ids_[i]) owner.node = i;
    }
    return owner;
  }
  return Status(ErrorCode::kNotFound, "cmq_partitions has no partition 0");
}

Result<TortureCluster::Segments> TortureCluster::ReadSegments() {
  auto conn = Conn();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT coalesce(min(segment), 0), coalesce(max(segment), -1), count(*) "
      "FROM cmq_segments WHERE partition = " +
          std::to_string(kPartition),
      {}, kTimeoutMs);
  if (!r.ok()) return r.status();
  return Segments{r->GetInt(0, 0), r->GetInt(0, 1), r->GetInt(0, 2)};
}

std::string TortureCluster::Segments::ToString() const {
  if (count == 0) return "empty";
  return "segments " + std::to_string(first) + ".." + std::to_string(last);
}

}  // namespace cmq::torture
