// cmqctl cluster show: the nodes, who owns which partition under which epoch, and the
// database's standbys with their lag (Account::describeCluster, a cmqd extension).
#include <cmq/cmq.h>

#include <ostream>

#include "command.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

std::string Bytes(int64_t n) {
  if (n < 0) return "?";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string Millis(int64_t ms) { return ms < 0 ? "?" : FormatDuration(ms / 1000.0); }

std::string Partitions(const std::vector<int>& partitions) {
  std::string out;
  for (int p : partitions) {
    if (!out.empty()) out += ',';
    out += std::to_string(p);
  }
  return out.empty() ? "-" : out;
}

Json InfoJson(const cmq::ClusterInfo& info) {
  Json doc = Json::Object();
  doc.Set("storage", info.storage).Set("nodeId", info.nodeId);
  Json nodes = Json::Array();
  for (const cmq::ClusterNode& n : info.nodes) {
    Json parts = Json::Array();
    for (int p : n.partitions) parts.Push(p);
    nodes.Push(Json::Object()
                   .Set("nodeId", n.nodeId)
                   .Set("address", n.address)
                   .Set("startTime", n.startTime)
                   .Set("heartbeatAgeMs", n.heartbeatAgeMs)
                   .Set("alive", n.alive)
                   .Set("partitions", std::move(parts)));
  }
  doc.Set("nodes", std::move(nodes));
  Json partitions = Json::Array();
  for (const cmq::ClusterPartition& p : info.partitions) {
    partitions.Push(Json::Object()
                        .Set("partition", p.partition)
                        .Set("owner", p.owner)
                        .Set("ownerAddress", p.ownerAddress)
                        .Set("epoch", p.epoch)
                        .Set("leaseLeftMs", p.leaseLeftMs)
                        .Set("segments", p.segments)
                        .Set("logBytes", p.logBytes));
  }
  doc.Set("partitions", std::move(partitions));
  if (info.storage == "postgres") {
    Json standbys = Json::Array();
    for (const cmq::DatabaseStandby& s : info.standbys) {
      standbys.Push(Json::Object()
                        .Set("name", s.name)
                        .Set("address", s.address)
                        .Set("state", s.state)
                        .Set("syncState", s.syncState)
                        .Set("lagBytes", s.lagBytes)
                        .Set("replayLagMs", s.replayLagMs));
    }
    doc.Set("database",
            Json::Object().Set("server", info.databaseServer).Set("standbys", std::move(standbys)));
  }
  return doc;
}

void PrintText(std::ostream& out, const cmq::ClusterInfo& info) {
  out << RenderKeyValues({{"storage", info.storage}, {"answered by", info.nodeId}}) << "\n";
  Table nodes({"NODE", "ADDRESS", "ALIVE", "HEARTBEAT", "OWNS", "STARTED"});
  for (const cmq::ClusterNode& n : info.nodes) {
    nodes.AddRow({n.nodeId + (n.nodeId == info.nodeId ? " *" : ""), n.address,
                  n.alive ? "yes" : "no", Millis(n.heartbeatAgeMs) + " ago",
                  Partitions(n.partitions), FormatUnixTime(n.startTime)});
  }
  out << nodes.Render() << "\n";
  Table partitions({"PARTITION", "OWNER", "EPOCH", "LEASE LEFT", "SEGMENTS", "LOG"});
  for (const cmq::ClusterPartition& p : info.partitions) {
    partitions.AddRow({std::to_string(p.partition), p.owner.empty() ? "(none)" : p.owner,
                       std::to_string(p.epoch),
                       info.storage == "postgres" ? Millis(p.leaseLeftMs) : "-",
                       std::to_string(p.segments), Bytes(p.logBytes)});
  }
  out << partitions.Render();
  if (info.storage != "postgres") return;
  out << "\ndatabase primary " << info.databaseServer << "\n";
  if (info.standbys.empty()) {
    out << "no standby streams from it (or this role may not see them: grant pg_monitor)\n";
    return;
  }
  Table standbys({"STANDBY", "ADDRESS", "STATE", "SYNC", "LAG", "REPLAY LAG"});
  for (const cmq::DatabaseStandby& s : info.standbys) {
    standbys.AddRow(
        {s.name, s.address, s.state, s.syncState, Bytes(s.lagBytes), Millis(s.replayLagMs)});
  }
  out << standbys.Render();
}

int Show(Context& ctx) {
  cmq::ClusterInfo info = ctx.account().describeCluster();
  if (ctx.json()) {
    ctx.PrintJson(InfoJson(info));
  } else {
    PrintText(ctx.out(), info);
  }
  return kExitOk;
}

}  // namespace

ResourceDef ClusterResource() {
  ResourceDef r;
  r.name = "cluster";
  r.aliases = {"nodes"};
  r.summary = "show the cmqd nodes, who owns each partition, and the database's standbys";

  CommandDef show;
  show.verb = "show";
  show.summary = "show the cluster as the node at the endpoint sees it";
  show.details =
      "Nodes with their heartbeat and the partitions they own (* marks the node that\n"
      "answered), each partition's owner, fencing epoch, lease and log size, and in the\n"
      "distributed mode the PostgreSQL primary with its standbys' replication lag.\n"
      "An embedded cmqd shows itself as a cluster of one.";
  show.examples = {"cmqctl cluster show", "cmqctl cluster show --json"};
  show.run = Show;
  r.commands.push_back(std::move(show));
  return r;
}

}  // namespace cmqctl
