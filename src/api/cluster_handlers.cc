// DescribeCluster, a cmqd extension for operators (`cmqctl cluster show`): what this
// node knows of its cluster (docs/architecture.md, "Seeing the cluster"). It concerns
// the node, not the queue space, so a node that serves no partition answers it too.
#include <utility>

#include "api/action.h"

namespace cmq::api {
namespace {

void DescribeCluster(Call& call) {
  if (!call.options->describe_cluster) {
    return call.reply.Error(Status(ErrorCode::kInternal, "DescribeCluster has no provider"));
  }
  call.options->describe_cluster([reply = call.reply](Result<ClusterFields> fields) {
    if (!fields.ok()) return reply.Error(fields.status());
    reply.Send(Status::Ok(), *fields);
  });
}

constexpr ActionEntry kClusterActions[] = {
    {"DescribeCluster", &DescribeCluster, /*needs_broker=*/false},
};

}  // namespace

std::span<const ActionEntry> ClusterActions() { return kClusterActions; }

}  // namespace cmq::api
