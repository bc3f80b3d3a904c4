#include "admin/node_families.h"

#include <string>

namespace cmq::admin {
namespace {

// The three histograms of a log's commits, named `prefix` + suffix.
void WriteCommitFamilies(MetricsText& text, std::string_view prefix,
                         std::string_view durable_suffix, std::string_view durable_help,
                         const journal::CommitFigures& commits) {
  const std::string durable = std::string(prefix) + std::string(durable_suffix);
  text.Family(durable, MetricType::kHistogram, durable_help);
  text.HistogramSamples(durable, Labels(), commits.durable_seconds);
  const std::string records = std::string(prefix) + "_commit_records";
  text.Family(records, MetricType::kHistogram, "Records per group commit.");
  text.HistogramSamples(records, Labels(), commits.records);
  const std::string bytes = std::string(prefix) + "_commit_bytes";
  text.Family(bytes, MetricType::kHistogram, "Bytes of records per group commit.");
  text.HistogramSamples(bytes, Labels(), commits.bytes);
}

void WriteClusterFamilies(MetricsText& text, const ClusterFigures& c) {
  text.Single("cmq_partitions_owned", MetricType::kGauge, "Partitions this node owns and serves.",
              c.partitions_owned);
  text.Single("cmq_partition_epoch", MetricType::kGauge,
              "Epoch (fencing token) of the partition served here; 0: none.",
              static_cast<int64_t>(c.epoch));
  text.Family("cmq_lease_renewals_total", MetricType::kCounter,
              "Rounds of the lease keeper while this node held a partition, by outcome.");
  text.Sample("cmq_lease_renewals_total", Labels(), "outcome=\"renewed\"",
              static_cast<int64_t>(c.lease_renewals));
  text.Sample("cmq_lease_renewals_total", Labels(), "outcome=\"failed\"",
              static_cast<int64_t>(c.lease_renewal_failures));
  text.Family("cmq_forwarded_requests_total", MetricType::kCounter,
              "Requests passed to the partition's owner, by outcome: answered (the owner's "
              "answer returned), failed (not reached or no answer: served here), "
              "cancelled (the client went away).");
  text.Sample("cmq_forwarded_requests_total", Labels(), "outcome=\"answered\"",
              static_cast<int64_t>(c.forwards_answered));
  text.Sample("cmq_forwarded_requests_total", Labels(), "outcome=\"failed\"",
              static_cast<int64_t>(c.forwards_failed));
  text.Sample("cmq_forwarded_requests_total", Labels(), "outcome=\"cancelled\"",
              static_cast<int64_t>(c.forwards_cancelled));
  if (c.commits) {
    WriteCommitFamilies(text, "cmq_pglog", "_commit_duration_seconds",
                        "Duration of the PostgreSQL log's commits (an insert of a group of "
                        "records, synchronously replicated) in seconds.",
                        *c.commits);
  }
}

}  // namespace

void WriteNodeFamilies(MetricsText& text, const NodeFigures& node) {
  text.Single("cmq_connections", MetricType::kGauge, "Open client connections of the API listener.",
              node.connections);
  if (node.broker) {
    text.Single("cmq_queues", MetricType::kGauge, "Queues of all accounts.", node.broker->queues);
    text.Single("cmq_topics", MetricType::kGauge, "Topics of all accounts.", node.broker->topics);
    text.Single("cmq_receives_parked", MetricType::kGauge,
                "Long-poll receives waiting for a message.", node.broker->parked_receives);
    text.Single("cmq_topic_deliveries_pending", MetricType::kGauge,
                "Deliveries of topic messages to subscriptions not yet done (waiting, in "
                "flight or waiting for a retry).",
                node.broker->pending_deliveries);
  }
  if (node.cluster) WriteClusterFamilies(text, *node.cluster);
  if (!node.journal) return;
  const JournalFigures& j = *node.journal;
  text.Single("cmq_journal_segments", MetricType::kGauge, "Journal segment files kept.",
              j.segments);
  text.Single("cmq_journal_bytes", MetricType::kGauge,
              "Disk space of the journal's segments (each preallocated whole).", j.bytes);
  if (j.disk_free_bytes) {
    text.Single("cmq_journal_disk_free_bytes", MetricType::kGauge,
                "Free space on the journal's file system, for an unprivileged writer.",
                static_cast<int64_t>(*j.disk_free_bytes));
  }
  text.Family("cmq_journal_records_total", MetricType::kCounter,
              "Records appended to the journal since start.");
  text.Sample("cmq_journal_records_total", Labels(), j.appended_records);
  text.Family("cmq_journal_appended_bytes_total", MetricType::kCounter,
              "Bytes of records appended to the journal since start.");
  text.Sample("cmq_journal_appended_bytes_total", Labels(), j.appended_bytes);
  text.Family("cmq_journal_syncs_total", MetricType::kCounter,
              "Group commits (one fdatasync each) since start; records per commit is "
              "rate(cmq_journal_records_total) / rate(cmq_journal_syncs_total).");
  text.Sample("cmq_journal_syncs_total", Labels(), j.syncs);
  WriteCommitFamilies(text, "cmq_journal", "_fsync_duration_seconds",
                      "Duration of the journal's fdatasync calls in seconds.", j.commits);
}

}  // namespace cmq::admin
