#include "server/cluster_description.h"

#include <utility>

namespace cmq::server {
namespace {

void WriteNode(JsonWriter& w, const std::string& id, const std::string& address,
               int64_t started, int64_t heartbeat_age_ms, bool alive,
               const std::vector<uint32_t>& partitions) {
  w.BeginObject();
  w.Field("nodeId", id);
  w.Field("address", address);
  w.Field("startTime", started);
  w.Field("heartbeatAgeMs", heartbeat_age_ms);
  w.Field("alive", alive);
  w.Key("partitions").BeginArray();
  for (uint32_t p : partitions) w.Uint(p);
  w.EndArray();
  w.EndObject();
}

void WritePartition(JsonWriter& w, uint32_t partition, const std::string& owner,
                    const std::string& owner_address, uint64_t epoch, int64_t lease_left_ms,
                    int64_t segments, int64_t bytes) {
  w.BeginObject();
  w.Key("partition").Uint(partition);
  w.Field("owner", owner);
  w.Field("ownerAddress", owner_address);
  w.Key("epoch").Uint(epoch);
  w.Field("leaseLeftMs", lease_left_ms);
  w.Field("segments", segments);
  w.Field("logBytes", bytes);
  w.EndObject();
}

}  // namespace

api::ClusterFields DistributedClusterFields(pglog::ClusterView view, std::string this_node,
                                            int lease_ms) {
  return [view = std::move(view), this_node = std::move(this_node), lease_ms](JsonWriter& w) {
    w.Field("storage", "postgres");
    w.Field("nodeId", this_node);
    w.Key("nodes").BeginArray();
    for (const pglog::NodeRow& n : view.nodes) {
      std::vector<uint32_t> owned;
      for (const pglog::PartitionOwner& p : view.partitions) {
        if (p.owner == n.node_id && p.lease_left_ms > 0) owned.push_back(p.partition);
      }
      WriteNode(w, n.node_id, n.address, n.started_unix_s, n.heartbeat_age_ms,
                n.heartbeat_age_ms < lease_ms, owned);
    }
    w.EndArray();
    w.Key("partitions").BeginArray();
    for (const pglog::PartitionOwner& p : view.partitions) {
      int64_t segments = 0, bytes = 0;
      for (const pglog::PartitionLog& l : view.logs) {
        if (l.partition == p.partition) segments = l.segments, bytes = l.bytes;
      }
      // An expired lease has no owner that serves: shown as none.
      bool live = p.lease_left_ms > 0;
      WritePartition(w, p.partition, live ? p.owner : "", live ? p.owner_address : "", p.epoch,
                     std::max<int64_t>(p.lease_left_ms, 0), segments, bytes);
    }
    w.EndArray();
    w.Key("database").BeginObject();
    w.Field("server", view.server);
    w.Key("standbys").BeginArray();
    for (const pglog::StandbyRow& s : view.standbys) {
      w.BeginObject();
      w.Field("name", s.name);
      w.Field("address", s.address);
      w.Field("state", s.state);
      w.Field("syncState", s.sync_state);
      w.Field("lagBytes", s.lag_bytes);
      w.Field("replayLagMs", s.replay_lag_ms);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  };
}

api::ClusterFields EmbeddedClusterFields(EmbeddedNode node) {
  return [node = std::move(node)](JsonWriter& w) {
    w.Field("storage", "embedded");
    w.Field("nodeId", node.node_id);
    w.Key("nodes").BeginArray();
    WriteNode(w, node.node_id, node.address, node.started_unix_s, 0, true, {0});
    w.EndArray();
    w.Key("partitions").BeginArray();
    WritePartition(w, 0, node.node_id, node.address, 0, 0, node.segments, node.log_bytes);
    w.EndArray();
  };
}

}  // namespace cmq::server
