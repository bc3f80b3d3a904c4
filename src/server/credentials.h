// The default account's key pair: kept in DATA_DIR/credentials (embedded mode) or in
// the cluster's database (distributed mode) when cmqd generated it.
#pragma once

#include <string>

#include "common/status.h"
#include "env/env.h"
#include "pglog/pg_conn.h"
#include "server/config.h"

namespace cmq::server {

struct KeyPair {
  std::string secret_id;
  std::string secret_key;
};

// The pair the default account uses, for the data directory config.data_dir (which
// must exist):
//   - given (config.secret_id/secret_key) and none kept: the given pair (not saved);
//   - given and kept: the same pair, or a failure that names both SecretIds, the file
//     and how to resolve it (never a silent choice of one of them);
//   - none given: the kept pair, else a new one, saved (mode 0600, synced) and printed
//     once on stdout.
// Failures are worded for the operator (StartupError).
Result<KeyPair> DefaultKeyPair(env::Env* env, const Config& config);

// The same for the distributed mode, where the pair is kept in the cluster's database
// (pglog::LoadKeyPair), not in a data directory, so that every node verifies the same
// signatures: the given pair (which must match a kept one), else the kept pair, else a
// new one kept there (when nodes start together, the first kept wins and the others use
// it) and printed by the node that generated it. The schema must exist.
Result<KeyPair> ClusterDefaultKeyPair(const Config& config, pglog::PgConn* conn);

}  // namespace cmq::server
