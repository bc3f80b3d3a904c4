#include "admin/node_families.h"

namespace cmq::admin {

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
}

}  // namespace cmq::admin
