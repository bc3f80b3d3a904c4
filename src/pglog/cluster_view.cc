#include "pglog/cluster_view.h"


namespace cmq::pglog {

Result<ClusterView> ReadClusterView(PgConn* conn) {
  ClusterView view;
  view.server = conn->server();
  auto nodes = conn->Exec(
      "SELECT node_id, address, extract(epoch from started_at)::bigint, "
      "(extract(epoch from (now() - heartbeat_at)) * 1000)::bigint "
      "FROM cmq_nodes ORDER BY node_id");
  if (!nodes.ok()) return nodes.status();
  for (int i = 0; i < nodes->rows(); ++i) {
    view.nodes.push_back({std::string(nodes->Get(i, 0)), std::string(nodes->Get(i, 1)),
                          nodes->GetInt(i, 2), nodes->GetInt(i, 3)});
  }
  auto owners = ListOwners(conn);
  if (!owners.ok()) return owners.status();
  view.partitions = std::move(owners).value();
  // A segment's table may be dropped between the two reads: to_regclass gives NULL.
  auto logs = conn->Exec(
      "SELECT partition, count(*), coalesce(sum(pg_total_relation_size("
      "to_regclass('cmq_log_' || partition || '_' || segment))), 0)::bigint "
      "FROM cmq_segments GROUP BY partition ORDER BY partition");
  if (!logs.ok()) return logs.status();
  for (int i = 0; i < logs->rows(); ++i) {
    view.logs.push_back({static_cast<uint32_t>(logs->GetInt(i, 0)), logs->GetInt(i, 1),
                         logs->GetInt(i, 2)});
  }
  auto standbys = conn->Exec(
      "SELECT application_name, coalesce(host(client_addr), ''), coalesce(state, ''), "
      "coalesce(sync_state, ''), "
      "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1)::bigint, "
      "coalesce((extract(epoch from replay_lag) * 1000)::bigint, -1) "
      "FROM pg_stat_replication WHERE NOT pg_is_in_recovery() ORDER BY application_name");
  if (!standbys.ok()) return standbys.status();
  for (int i = 0; i < standbys->rows(); ++i) {
    view.standbys.push_back({std::string(standbys->Get(i, 0)), std::string(standbys->Get(i, 1)),
                             std::string(standbys->Get(i, 2)), std::string(standbys->Get(i, 3)),
                             standbys->GetInt(i, 4), standbys->GetInt(i, 5)});
  }
  return view;
}

}  // namespace cmq::pglog
