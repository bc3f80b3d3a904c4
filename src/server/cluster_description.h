// The fields of the DescribeCluster answer (api.h, ClusterFields) in either mode: the
// distributed mode's view read from the database, or the one node of the embedded
// mode. The wire shape is documented in docs/architecture.md ("Seeing the cluster").
#pragma once

#include <cstdint>
#include <string>

#include "api/api.h"
#include "pglog/cluster_view.h"

namespace cmq::server {

// `this_node` answered; a node whose last heartbeat is older than `lease_ms` is shown
// as not alive (it heartbeats every lease_ms / 3).
api::ClusterFields DistributedClusterFields(pglog::ClusterView view, std::string this_node,
                                            int lease_ms);

struct EmbeddedNode {
  std::string node_id;  // host:port
  std::string address;
  int64_t started_unix_s = 0;
  int64_t segments = 0;
  int64_t log_bytes = 0;
};
api::ClusterFields EmbeddedClusterFields(EmbeddedNode node);

}  // namespace cmq::server
