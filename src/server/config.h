// cmqd configuration: command-line flags and an optional config file (`--config`).
// Flags override the file. Every tunable has a documented default (ConfigHelp()).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "auth/verifier.h"
#include "common/log.h"
#include "common/push_network_policy.h"
#include "common/status.h"
#include "delivery/pusher.h"
#include "http/server.h"
#include "journal/journal.h"

namespace cmq::server {

struct AccountConfig {
  uint64_t app_id = 0;
  std::string secret_id;
  std::string secret_key;
  bool enabled = true;
};

struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  // The admin listener (/metrics, /healthz, /readyz; docs/architecture.md "Operating
  // cmqd"), never on the API port. Off when admin_host is empty ("admin_listen =").
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 8081;
  // HTTPS (docs/architecture.md "TLS"): a listener of its own beside `listen`, off
  // when tls_host is empty; admin_tls makes the admin listener speak HTTPS instead of
  // HTTP. Both use the PEM certificate chain and key below, re-read on SIGHUP.
  std::string tls_host;
  uint16_t tls_port = 0;
  bool admin_tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Queues (and topics) with series of their own on /metrics; the rest fold into one
  // series named "__other__".
  int64_t metrics_max_queues = 1000;
  // What `cmqd --version` says after the name (set by main, not a setting): the
  // cmq_build_info metric.
  std::string version;
  std::string data_dir = "./cmq-data";
  // The default account: from --secret-id/--secret-key, else the environment
  // (CMQ_SECRET_ID/CMQ_SECRET_KEY), else the config file; else generated once and kept
  // in <data_dir>/credentials. A given pair must match a kept one (server/credentials.h).
  std::string secret_id;
  std::string secret_key;
  // Where the given pair came from, for messages: "--secret-id/--secret-key",
  // "CMQ_SECRET_ID/CMQ_SECRET_KEY" or "secret_id/secret_key in FILE"; "" if none.
  std::string secret_origin;
  uint64_t default_app_id = 1000000;
  std::vector<AccountConfig> accounts;  // extra accounts from the config file
  bool relaxed_durability = false;      // "durability = relaxed"
  int relaxed_sync_interval_ms = 50;
  int ride_along_ms = 5;  // see journal::JournalOptions::ride_along_ms
  int prepared_segments = 2;   // see journal::JournalOptions::prepared_spares
  uint64_t segment_size = 64ull << 20;
  bool salvage = false;               // see journal::JournalOptions::salvage
  // Where the log lives: the embedded journal in data_dir, or PostgreSQL (the
  // distributed mode, docs/architecture.md "Distributed mode").
  enum class Storage { kEmbedded, kPostgres };
  Storage storage = Storage::kEmbedded;
  struct Postgres {
    std::string dsn;      // libpq connection string or URI
    std::string node_id;  // unique per node; default HOSTNAME:PORT
    std::string advertise;  // HOST:PORT peers reach this node at; default from listen
    int lease_ms = 8000;
    int timeout_ms = 3000;  // each PostgreSQL statement and connect
    uint64_t max_log_bytes = 0;  // 0: no cap
    uint64_t cache_bytes = 256ull << 20;
    int partitions = 1;  // when the cluster's schema is created
  } postgres;
  int64_t shutdown_grace_ms = 35000;  // longest wait for in-flight requests on SIGTERM
  std::string log_level = "info";
  LogFormat log_format = LogFormat::kText;
  // One line per answered request: "" off, "-" standard output, else a file path
  // (reopened on SIGHUP). Written in log_format (server/access_log.h).
  std::string access_log;
  // The settings given by flags and the config file, in the order applied (a key given
  // twice appears twice), for the start-up log: secret_key is left out and a DSN's
  // password masked.
  std::vector<std::pair<std::string, std::string>> given_settings;
  api::ApiOptions api;
  http::ServerOptions http;
  delivery::PusherOptions push;  // HTTP push to subscription endpoints
  // push_deny_networks / push_allow_networks; the daemon makes the policy that the api
  // (at Subscribe) and the pusher (at connect) share.
  PushNetworkPolicy::Lists push_networks;
};

// Parses argv, and reads the default account's key pair from the environment
// (CMQ_SECRET_ID and CMQ_SECRET_KEY, which override the config file; flags override
// both). `help` is set when --help was given (then nothing else is checked). Errors
// name the offending flag, variable or config line.
Status ParseCommandLine(int argc, char** argv, Config* config, bool* help);
// Applies a config file ("key = value" lines, '#' comments, repeated [account]
// sections). Unknown keys are errors (typos must not pass silently).
Status LoadConfigFile(const std::string& path, Config* config);
// The --help text: every flag and every config key with its default.
std::string ConfigHelp();

}  // namespace cmq::server
