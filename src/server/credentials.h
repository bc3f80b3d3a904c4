// The default account's key pair and DATA_DIR/credentials, the file that keeps a
// generated one.
#pragma once

#include <string>

#include "common/status.h"
#include "env/env.h"
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

}  // namespace cmq::server
