// PostgresPartition: the life of a partition on one node of the distributed mode
// (docs/architecture.md, "Distributed mode"): claim it when its lease is free, replay
// its log into a fresh broker and serve, renew the lease, and give the broker up when
// the log fails, the lease runs out by the local clock or another node took over;
// then claim again (a new epoch, a fresh replay of what was committed).
//
// Threads: everything but the keeper runs on the event loop. The keeper thread, with
// a PostgreSQL connection of its own, heartbeats the node, renews the lease every
// lease_ms / 3, and claims the partition when nobody holds it; it reports to the loop
// through `post`. A takeover's replay runs on a thread of its own, so the loop goes on
// answering (forwarding, or a retryable "not serving") meanwhile; the replay at start
// runs inside Start.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "broker/broker.h"
#include "common/status.h"
#include "env/env.h"
#include "journal/commit_metrics.h"
#include "pglog/cluster_view.h"
#include "server/config.h"

namespace cmq::server {

class PostgresPartition {
 public:
  struct Hooks {
    // Thread-safe: runs `fn` on the loop thread soon.
    std::function<void(std::function<void()>)> post;
    // Loop: `broker` serves the partition from now on, or (nullptr) none does.
    std::function<void(broker::Broker* broker)> serving;
    // Loop: after the log ran its completions (answers went out, timers may move).
    std::function<void()> after_completions;
  };

  PostgresPartition(env::Env* env, const Config& config, std::string node_id,
                    std::string advertise, Hooks hooks);
  ~PostgresPartition();

  // Creates or migrates the schema, registers the node, and claims and recovers the
  // partition if its lease is free (so a lone node serves as soon as it listens); then
  // starts the keeper. Errors (fatal at start-up): PostgreSQL unreachable, a schema
  // newer than this cmqd, a cluster of more partitions than this release serves.
  Status Start();

  // Loop: whether a broker serves the partition here and the lease is live by the
  // local clock. A lease that ran out drops the broker first (answers nothing more).
  bool Serving();

  // Loop, at shutdown once requests have drained: commits what was appended, stops
  // the keeper and ends the lease so a standby claims at once. Returns the log's
  // failure, if it failed.
  Status Stop();

  // The epoch served now (0: none).
  uint64_t epoch() const;

  // Loop: what /metrics shows of the partition here. Renewals count since start, each
  // round of the keeper while it held an epoch: renewed, or failed (the database
  // could not be reached, or refused).
  struct Figures {
    uint64_t epoch = 0;  // served now; 0: none
    uint64_t lease_renewals = 0;
    uint64_t lease_renewal_failures = 0;
    std::optional<journal::CommitFigures> commits;  // the log's, while a broker serves
  };
  Figures GetFigures() const;

  // Another node that owns the partition, by the keeper's latest look at
  // cmq_partitions (every lease_ms / 3 while this node stands by); nullopt when this
  // node owns it, nobody does, or the owner's lease has run out. Thread-safe.
  struct Peer {
    std::string node_id;
    std::string address;  // as it advertises itself: host:port
  };
  std::optional<Peer> Owner() const;

  // Loop: reads the cluster's state from the database on the keeper's connection and
  // calls `done` on the loop thread (within about postgres_timeout_ms), never inside
  // this call.
  using ViewDone = std::function<void(Result<pglog::ClusterView>)>;
  void DescribeCluster(ViewDone done);

  // The owner could not be reached: the keeper looks again (and claims the partition
  // if its lease ran out) without waiting for its next round. Thread-safe.
  void LookAgain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::server
