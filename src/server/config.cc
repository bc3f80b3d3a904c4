#include "server/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace cmq::server {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Status Invalid(const std::string& what) { return Status(ErrorCode::kInvalidParameters, what); }

// HOST:PORT (an empty host, ":PORT", is every interface) of the setting `key`.
Status ParseListen(std::string_view key, std::string_view value, std::string* host_out,
                   uint16_t* port_out) {
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos)
    return Invalid(std::string(key) + " must be HOST:PORT, got " + std::string(value));
  std::string host(value.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = ParseInt64(value.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535)
    return Invalid("bad port in " + std::string(key) + " address " + std::string(value));
  *host_out = host.empty() ? "0.0.0.0" : host;
  *port_out = static_cast<uint16_t>(*port);
  return Status::Ok();
}

// A listener that an empty value turns off (host "" and port 0), else ParseListen.
Status ParseOptionalListen(std::string_view key, std::string_view value, std::string* host_out,
                           uint16_t* port_out) {
  if (!value.empty()) return ParseListen(key, value, host_out, port_out);
  host_out->clear();
  *port_out = 0;
  return Status::Ok();
}

Status ParseNumber(std::string_view key, std::string_view value, int64_t min, int64_t max,
                   int64_t* out) {
  auto v = ParseInt64(value);
  if (!v || *v < min || *v > max) {
    return Invalid(std::string(key) + " must be an integer in [" + std::to_string(min) + ", " +
                   std::to_string(max) + "], got '" + std::string(value) + "'");
  }
  *out = *v;
  return Status::Ok();
}

// The non-empty items of a comma-separated list, trimmed.
std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> items;
  std::stringstream ss{std::string(value)};
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = Trim(item);
    if (!item.empty()) items.push_back(std::move(item));
  }
  return items;
}

// A comma-separated list of networks ("10.0.0.0/8, fd00::/8"); empty for none.
Status ParseNetworks(std::string_view key, std::string_view value, std::vector<IpNetwork>* out) {
  out->clear();
  for (const std::string& item : SplitList(value)) {
    Result<IpNetwork> network = IpNetwork::Parse(item);
    if (!network.ok()) return Invalid(std::string(key) + ": " + network.status().detail());
    out->push_back(*network);
  }
  return Status::Ok();
}

Status ParseBool(std::string_view key, std::string_view value, bool* out) {
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    *out = true;
  } else if (value == "false" || value == "0" || value == "no" || value == "off") {
    *out = false;
  } else {
    return Invalid(std::string(key) + " must be true or false, got '" + std::string(value) + "'");
  }
  return Status::Ok();
}

// `dsn` with its password masked, in either form libpq takes: "password=..." among
// key=value pairs, or the "user:password@" of a URI.
std::string MaskPassword(std::string_view dsn) {
  std::string out(dsn);
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = out.find('@', scheme);
    size_t colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t pos = out.find("password"); pos != std::string::npos;
       pos = out.find("password", pos + 1)) {
    size_t eq = out.find_first_not_of(' ', pos + 8);
    if (eq == std::string::npos || out[eq] != '=') continue;
    size_t begin = out.find_first_not_of(' ', eq + 1);
    if (begin == std::string::npos) break;
    size_t end = out[begin] == '\'' ? out.find('\'', begin + 1) : out.find_first_of(" &", begin);
    end = end == std::string::npos ? out.size() : end + (out[begin] == '\'' ? 1 : 0);
    out.replace(begin, end - begin, "***");
  }
  return out;
}

Status ApplyOneSetting(std::string_view key, std::string_view value, Config* c);

// Applies one server-wide setting; used by both the config file and flags. Records
// it for the start-up log (Config::given_settings).
Status ApplySetting(std::string_view key, std::string_view value, Config* c) {
  CMQ_RETURN_IF_ERROR(ApplyOneSetting(key, value, c));
  // The key pair is logged where it is settled (credentials.h), by its SecretId only.
  if (key == "secret_id" || key == "secret_key") return Status::Ok();
  c->given_settings.emplace_back(key,
                                 key == "postgres_dsn" ? MaskPassword(value) : std::string(value));
  return Status::Ok();
}

Status ApplyOneSetting(std::string_view key, std::string_view value, Config* c) {
  int64_t n = 0;
  auto num = [&](int64_t min, int64_t max) { return ParseNumber(key, value, min, max, &n); };
  broker::Limits& limits = c->api.limits;
  if (key == "listen") return ParseListen(key, value, &c->listen_host, &c->listen_port);
  if (key == "admin_listen") return ParseOptionalListen(key, value, &c->admin_host, &c->admin_port);
  if (key == "tls_listen") return ParseOptionalListen(key, value, &c->tls_host, &c->tls_port);
  if (key == "admin_tls") return ParseBool(key, value, &c->admin_tls);
  if (key == "tls_cert_file") {
    c->tls_cert_file = value;
    return Status::Ok();
  }
  if (key == "tls_key_file") {
    c->tls_key_file = value;
    return Status::Ok();
  }
  if (key == "metrics_max_queues") {
    CMQ_RETURN_IF_ERROR(num(0, 10000000));
    c->metrics_max_queues = n;
    return Status::Ok();
  }
  if (key == "data_dir") {
    if (value.empty()) return Invalid("data_dir must not be empty");
    c->data_dir = value;
    return Status::Ok();
  }
  if (key == "secret_id") {
    c->secret_id = value;
    return Status::Ok();
  }
  if (key == "secret_key") {
    c->secret_key = value;
    return Status::Ok();
  }
  if (key == "app_id") {
    CMQ_RETURN_IF_ERROR(num(1, INT64_MAX));
    c->default_app_id = n;
    return Status::Ok();
  }
  if (key == "durability") {
    if (value == "sync")
      c->relaxed_durability = false;
    else if (value == "relaxed")
      c->relaxed_durability = true;
    else
      return Invalid("durability must be sync or relaxed, got '" + std::string(value) + "'");
    return Status::Ok();
  }
  if (key == "relaxed_sync_interval_ms") {
    CMQ_RETURN_IF_ERROR(num(1, 60000));
    c->relaxed_sync_interval_ms = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "ride_along_ms") {
    CMQ_RETURN_IF_ERROR(num(0, 1000));
    c->ride_along_ms = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "prepared_segments") {
    CMQ_RETURN_IF_ERROR(num(0, 8));
    c->prepared_segments = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "segment_size_mb") {
    CMQ_RETURN_IF_ERROR(num(1, 2048));
    c->segment_size = static_cast<uint64_t>(n) << 20;
    return Status::Ok();
  }
  if (key == "timestamp_skew_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 10LL * 365 * 86400));
    c->api.verify.timestamp_skew_seconds = n;
    return Status::Ok();
  }
  if (key == "public_hosts") {
    c->api.verify.public_hosts = SplitList(value);
    return Status::Ok();
  }
  if (key == "https") return ParseBool(key, value, &c->api.https);
  if (key == "salvage") return ParseBool(key, value, &c->salvage);
  if (key == "storage") {
    if (value == "embedded") {
      c->storage = Config::Storage::kEmbedded;
    } else if (value == "postgres") {
      c->storage = Config::Storage::kPostgres;
    } else {
      return Invalid("storage must be embedded or postgres, got '" + std::string(value) + "'");
    }
    return Status::Ok();
  }
  if (key == "postgres_dsn") {
    c->postgres.dsn = std::string(value);
    return Status::Ok();
  }
  if (key == "node_id") {
    c->postgres.node_id = std::string(value);
    return Status::Ok();
  }
  if (key == "advertise") {
    c->postgres.advertise = std::string(value);
    return Status::Ok();
  }
  if (key == "lease_ms") {
    CMQ_RETURN_IF_ERROR(num(300, 600000));
    c->postgres.lease_ms = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "postgres_timeout_ms") {
    CMQ_RETURN_IF_ERROR(num(100, 600000));
    c->postgres.timeout_ms = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "postgres_max_log_mb") {
    CMQ_RETURN_IF_ERROR(num(0, 1LL << 30));
    c->postgres.max_log_bytes = static_cast<uint64_t>(n) << 20;
    return Status::Ok();
  }
  if (key == "postgres_cache_mb") {
    CMQ_RETURN_IF_ERROR(num(1, 1LL << 20));
    c->postgres.cache_bytes = static_cast<uint64_t>(n) << 20;
    return Status::Ok();
  }
  if (key == "partitions") {
    CMQ_RETURN_IF_ERROR(num(1, 1));
    c->postgres.partitions = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_body_bytes") {
    CMQ_RETURN_IF_ERROR(num(1024, 1LL << 30));
    c->http.max_body_bytes = n;
    return Status::Ok();
  }
  if (key == "max_header_bytes") {
    CMQ_RETURN_IF_ERROR(num(1024, 16 << 20));
    c->http.max_header_bytes = n;
    return Status::Ok();
  }
  if (key == "idle_timeout_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 86400));
    c->http.idle_timeout_ms = n * 1000;
    return Status::Ok();
  }
  if (key == "request_timeout_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 3600));
    c->http.request_timeout_ms = n * 1000;
    return Status::Ok();
  }
  if (key == "max_connections") {
    CMQ_RETURN_IF_ERROR(num(1, 10000000));
    c->http.max_connections = n;
    return Status::Ok();
  }
  if (key == "shutdown_grace_seconds") {
    CMQ_RETURN_IF_ERROR(num(0, 3600));
    c->shutdown_grace_ms = n * 1000;
    return Status::Ok();
  }
  if (key == "min_max_msg_heap_num") {
    CMQ_RETURN_IF_ERROR(num(1, limits.max_max_msg_heap_num));
    limits.min_max_msg_heap_num = n;
    return Status::Ok();
  }
  if (key == "max_queues_per_account") {
    CMQ_RETURN_IF_ERROR(num(1, 10000000));
    limits.max_queues_per_account = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_delay_seconds") {
    CMQ_RETURN_IF_ERROR(num(-1, 1296000));
    limits.max_delay_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_polling_wait_seconds") {
    CMQ_RETURN_IF_ERROR(num(0, 3600));
    limits.max_polling_wait_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_inflight_per_queue") {
    CMQ_RETURN_IF_ERROR(num(0, INT64_MAX));
    limits.max_inflight_per_queue = n;
    return Status::Ok();
  }
  if (key == "max_topics_per_account") {
    CMQ_RETURN_IF_ERROR(num(1, 10000000));
    limits.topics.max_topics_per_account = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "max_subscriptions_per_topic") {
    CMQ_RETURN_IF_ERROR(num(1, 1000000));
    limits.topics.max_subscriptions_per_topic = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "publish_qps_per_topic") {
    CMQ_RETURN_IF_ERROR(num(0, INT64_MAX));
    limits.topics.publish_qps_per_topic = n;
    return Status::Ok();
  }
  if (key == "backoff_retry_min_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 86400));
    limits.topics.backoff_retry_min_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "backoff_retry_max_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 86400));
    limits.topics.backoff_retry_max_seconds = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "push_timeout_seconds") {
    CMQ_RETURN_IF_ERROR(num(1, 3600));
    c->push.timeout_ms = n * 1000;
    return Status::Ok();
  }
  if (key == "push_max_outstanding_per_endpoint") {
    CMQ_RETURN_IF_ERROR(num(1, 10000));
    c->push.max_outstanding_per_endpoint = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "push_verify_tls") return ParseBool(key, value, &c->push.verify_tls);
  if (key == "push_deny_networks") return ParseNetworks(key, value, &c->push_networks.deny);
  if (key == "push_allow_networks") return ParseNetworks(key, value, &c->push_networks.allow);
  if (key == "log_level") {
    if (value != "debug" && value != "info" && value != "warn" && value != "error") {
      return Invalid("log_level must be debug, info, warn or error");
    }
    c->log_level = value;
    return Status::Ok();
  }
  if (key == "log_format") {
    if (value == "text") {
      c->log_format = LogFormat::kText;
    } else if (value == "json") {
      c->log_format = LogFormat::kJson;
    } else {
      return Invalid("log_format must be text or json, got '" + std::string(value) + "'");
    }
    return Status::Ok();
  }
  if (key == "access_log") {
    c->access_log = value;
    return Status::Ok();
  }
  return Invalid("unknown setting '" + std::string(key) + "'");
}

// Rules between settings, checked once everything is applied.
Status CheckCombination(const Config& c) {
  const broker::TopicLimits& t = c.api.limits.topics;
  if (t.backoff_retry_min_seconds > t.backoff_retry_max_seconds) {
    return Invalid("backoff_retry_min_seconds (" + std::to_string(t.backoff_retry_min_seconds) +
                   ") must not exceed backoff_retry_max_seconds (" +
                   std::to_string(t.backoff_retry_max_seconds) + ")");
  }
  bool tls_used = !c.tls_host.empty() || (c.admin_tls && !c.admin_host.empty());
  bool tls_files = !c.tls_cert_file.empty() || !c.tls_key_file.empty();
  if (tls_used && (c.tls_cert_file.empty() || c.tls_key_file.empty())) {
    return Invalid(!c.tls_host.empty() ? "tls_listen needs tls_cert_file and tls_key_file"
                                       : "admin_tls needs tls_cert_file and tls_key_file");
  }
  if (tls_files && !tls_used) {
    return Invalid(
        "tls_cert_file and tls_key_file are used only with tls_listen or admin_tls; "
        "give one of those or remove them");
  }
  if (c.storage == Config::Storage::kPostgres) {
    if (c.postgres.dsn.empty()) return Invalid("storage = postgres needs postgres_dsn");
    if (c.postgres.timeout_ms * 2 > c.postgres.lease_ms) {
      return Invalid("lease_ms (" + std::to_string(c.postgres.lease_ms) +
                     ") must be at least twice postgres_timeout_ms (" +
                     std::to_string(c.postgres.timeout_ms) +
                     "): a renewal must be able to fail and be retried within a lease");
    }
  }
  return Status::Ok();
}

// The file's settings without CheckCombination (flags may still change them).
Status ApplyConfigFile(const std::string& path, Config* config) {
  std::ifstream in(path);
  if (!in) return Invalid("cannot read config file " + path);
  std::string line;
  int line_no = 0;
  AccountConfig* account = nullptr;
  while (std::getline(in, line)) {
    ++line_no;
    std::string where = path + ":" + std::to_string(line_no) + ": ";
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::string t = Trim(line);
    if (t.empty()) continue;
    if (t == "[account]") {
      config->accounts.emplace_back();
      account = &config->accounts.back();
      continue;
    }
    if (t.front() == '[') return Invalid(where + "unknown section " + t);
    size_t eq = t.find('=');
    if (eq == std::string::npos) return Invalid(where + "expected key = value");
    std::string key = Trim(t.substr(0, eq));
    std::string value = Trim(t.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    Status s;
    if (account != nullptr) {
      if (key == "app_id") {
        int64_t n;
        s = ParseNumber(key, value, 1, INT64_MAX, &n);
        account->app_id = n;
      } else if (key == "secret_id") {
        account->secret_id = value;
      } else if (key == "secret_key") {
        account->secret_key = value;
      } else if (key == "enabled") {
        s = ParseBool(key, value, &account->enabled);
      } else {
        s = Invalid("unknown account setting '" + key + "'");
      }
    } else {
      s = ApplySetting(key, value, config);
    }
    if (!s.ok()) return Invalid(where + s.detail());
  }
  for (const AccountConfig& a : config->accounts) {
    if (a.app_id == 0 || a.secret_id.empty() || a.secret_key.empty()) {
      return Invalid(path + ": every [account] needs app_id, secret_id and secret_key");
    }
  }
  return Status::Ok();
}

// The default account's key pair comes whole from one place, `origin`: half a pair
// from one place and half from another is a pair nobody wrote down.
Status TakeKeyPair(std::string id, std::string key, std::string origin, Config* config) {
  if (id.empty() && key.empty()) return Status::Ok();
  if (id.empty() || key.empty()) return Invalid(origin + ": give both or neither");
  config->secret_id = std::move(id);
  config->secret_key = std::move(key);
  config->secret_origin = std::move(origin);
  return Status::Ok();
}

std::string Getenv(const char* name) {
  const char* value = getenv(name);
  return value ? value : "";
}

}  // namespace

Status LoadConfigFile(const std::string& path, Config* config) {
  CMQ_RETURN_IF_ERROR(ApplyConfigFile(path, config));
  Status combined = CheckCombination(*config);
  if (!combined.ok()) return Invalid(path + ": " + combined.detail());
  return Status::Ok();
}

Status ParseCommandLine(int argc, char** argv, Config* config, bool* help) {
  *help = false;
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status::Ok();
    }
    if (arg.rfind("--", 0) != 0) return Invalid("unexpected argument '" + arg + "'");
    std::string key, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      key = arg.substr(2, eq - 2);
      value = arg.substr(eq + 1);
    } else if (arg == "--salvage") {
      key = "salvage";  // a switch: no value follows
      value = "true";
    } else {
      key = arg.substr(2);
      if (i + 1 >= argc) return Invalid("flag --" + key + " needs a value");
      value = argv[++i];
    }
    for (char& ch : key) {
      if (ch == '-') ch = '_';
    }
    if (key == "config") {
      config_file = value;
    } else {
      flags.emplace_back(key, value);
    }
  }
  if (!config_file.empty()) {
    CMQ_RETURN_IF_ERROR(ApplyConfigFile(config_file, config));
    CMQ_RETURN_IF_ERROR(TakeKeyPair(config->secret_id, config->secret_key,
                                    "secret_id/secret_key in " + config_file, config));
  }
  CMQ_RETURN_IF_ERROR(TakeKeyPair(Getenv("CMQ_SECRET_ID"), Getenv("CMQ_SECRET_KEY"),
                                  "CMQ_SECRET_ID/CMQ_SECRET_KEY", config));
  std::string flag_id, flag_key;
  for (const auto& [key, value] : flags) {
    if (key == "secret_id" || key == "secret_key") {
      (key == "secret_id" ? flag_id : flag_key) = value;
      continue;
    }
    Status s = ApplySetting(key, value, config);
    if (!s.ok()) return Invalid("--" + key + ": " + s.detail());
  }
  CMQ_RETURN_IF_ERROR(TakeKeyPair(flag_id, flag_key, "--secret-id/--secret-key", config));
  return CheckCombination(*config);
}

std::string ConfigHelp() {
  return R"(cmqd - a self-hosted Tencent CMQ-compatible message queue server

Usage: cmqd [--config FILE] [--listen HOST:PORT] [--data-dir DIR] [--SETTING VALUE ...]
       cmqd --version

Every setting below can be given as a flag (--listen 0.0.0.0:8080, underscores or
dashes) or as "key = value" in the config file; flags win.

  listen = 127.0.0.1:8080          address to serve the CMQ HTTP API on (any path,
                                   GET and POST); port 0 picks a free port
  admin_listen = 127.0.0.1:8081    the operator's listener, never the API's port:
                                   GET /metrics (Prometheus), /healthz (alive),
                                   /readyz (200 when ready to serve, else 503 with
                                   the reason), and the web console at /console/
                                   (login with an account's key pair); empty turns
                                   it off; port 0 picks a free port (printed at
                                   start). /metrics and the health endpoints have no
                                   authentication: keep it on a private address
  tls_listen =                     address to serve the CMQ API over HTTPS on, beside
                                   listen (which stays plain HTTP); empty = off.
                                   TLS 1.2 or later; needs tls_cert_file and
                                   tls_key_file. Plain HTTP sent to it is answered
                                   400; a handshake must complete within
                                   request_timeout_seconds
  tls_cert_file =                  PEM certificate chain (leaf first) for tls_listen
  tls_key_file =                   and admin_tls, and its PEM private key; unreadable
                                   or mismatched files stop the start. SIGHUP
                                   re-reads both: new connections use the new pair;
                                   if they are bad, the old pair stays (logged)
  admin_tls = false                the admin listener speaks HTTPS (same certificate)
  metrics_max_queues = 1000        queues, topics and subscriptions with series of
                                   their own on /metrics; the rest add up in one
                                   series named "__other__"
  data_dir = ./cmq-data            the journal and generated credentials live here
  secret_id, secret_key            key pair of the default account, also read from
                                   the environment as CMQ_SECRET_ID and CMQ_SECRET_KEY
                                   (flags > environment > config file; prefer the
                                   environment or the file: command lines show in ps).
                                   Without a pair one is generated on first start,
                                   printed once and kept in DATA_DIR/credentials (mode
                                   0600). A pair given that differs from the one kept
                                   there stops the start: give the kept pair, give
                                   none, or delete that file to switch to the new one
  app_id = 1000000                 appId of the default account
  durability = sync                sync: a send/delete/rewind/queue change is answered
                                   only after fdatasync; relaxed: answered after
                                   write(), synced every relaxed_sync_interval_ms
                                   (a power failure can lose that interval)
  relaxed_sync_interval_ms = 50
  ride_along_ms = 5                a record nobody waits for (a receive, a push
                                   result) is written with the next answered
                                   mutation, or at most this long after it
  segment_size_mb = 64             log segment size (the journal preallocates it;
                                   in PostgreSQL a segment is a table)
  prepared_segments = 2            spare segments kept written full of zeros ahead
                                   of the current one, in the background (fsyncs
                                   into them flush no file-system metadata); 0 off
  timestamp_skew_seconds = 300     accepted |now - Timestamp| of signed requests
  public_hosts =                   comma-separated host[:port] names clients may sign
                                   with when a proxy rewrites Host
  https = false                    listener sits behind TLS (default port 443)
  max_body_bytes = 4194304         larger request bodies get HTTP 413
  max_header_bytes = 65536         larger request heads get HTTP 431
  idle_timeout_seconds = 120       idle keep-alive connections are closed after this
  request_timeout_seconds = 30     a request must arrive completely within this
  max_connections = 100000         open client connections; lowered to what the
                                   open-file limit leaves after the journal and push
                                   (soft limit raised to the hard one; both logged at
                                   start); more clients wait in the listen backlog
  shutdown_grace_seconds = 35      on SIGTERM: longest wait for in-flight requests
  min_max_msg_heap_num = 1000000   lowest maxMsgHeapNum a queue may set
  max_queues_per_account = 1000
  max_delay_seconds = -1           -1: up to msgRetentionSeconds - 1; 3600: strict
  max_polling_wait_seconds = 30    longer requested waits are clamped to this
  max_inflight_per_queue = 0       0: no cap; else 6070 beyond this many
                                   delayed + inactive messages
  max_topics_per_account = 1000    CreateTopic beyond this answers 4450
  max_subscriptions_per_topic = 100
                                   Subscribe beyond this answers 4500
  publish_qps_per_topic = 5000     publish requests per second and topic before
                                   4420 throttling; 0: no limit
  backoff_retry_min_seconds = 10   BACKOFF_RETRY waits a random time in
  backoff_retry_max_seconds = 20   [min, max] before each retry
  push_timeout_seconds = 15        an HTTP push without a complete response in
                                   this time failed (the retry policy applies)
  push_max_outstanding_per_endpoint = 16
                                   concurrent pushes (and connections) per
                                   endpoint scheme://host:port; more wait in that
                                   endpoint's queue
  push_verify_tls = true           check https endpoints' certificates against the
                                   system CA store
  push_deny_networks =             comma-separated networks (10.0.0.0/8, fd00::/8, or
                                   one address) pushes may not reach, besides those
                                   always refused: loopback (127.0.0.0/8, ::1),
                                   link-local (169.254.0.0/16, fe80::/10),
                                   unspecified, multicast, broadcast and reserved,
                                   cloud metadata addresses and names; private
                                   ranges (10/8, 172.16/12, 192.168/16, fc00::/7)
                                   are reachable unless listed here
  push_allow_networks =            networks pushes may reach although denied: the
                                   most specific listed network decides, allow
                                   winning a tie (127.0.0.0/8 allows IPv4 loopback,
                                   10.1.0.0/16 inside a denied 10.0.0.0/8). Checked
                                   at Subscribe for address hosts (4000/10630) and
                                   on every resolved address before connecting;
                                   cmqd's own port on this host is never reachable
  log_level = info                 debug, info, warn or error (debug: a line per
                                   request, long polls parked and woken, group
                                   commits, lease renewals)
  log_format = text                text: "TIME LEVEL message key=value ..."; json:
                                   one object per line with time (RFC 3339, UTC,
                                   ms), level, message and the line's fields
  access_log =                     one line per answered request (time, client,
                                   action, queue or topic, code, duration,
                                   requestId), in log_format: empty = off, "-" =
                                   standard output, else a file, appended to and
                                   reopened on SIGHUP (for logrotate); written by
                                   a thread of its own, so a slow disk never
                                   stalls requests (lines beyond a 16 MiB backlog
                                   are dropped and counted in the log); the web
                                   console's calls and logins end "via=console"
  salvage = false                  (flag: --salvage) for an operator who accepts
                                   losing damaged records: when start-up finds the
                                   journal corrupt ("journal corruption in FILE at
                                   offset N"), skip the damaged records instead of
                                   refusing to start, log exactly what was skipped,
                                   and mark it so later starts need no salvage.
                                   Without it cmqd exits 1 on corruption. A torn
                                   tail left by a crash (never acknowledged) is cut
                                   off either way, with a log line

Distributed mode (docs/architecture.md, "Distributed mode"; README "Highly available
mode"): nodes share a PostgreSQL database, made highly available by Patroni.
  storage = embedded               embedded: the journal in data_dir; postgres: the
                                   log lives in PostgreSQL, one node owns the
                                   partition at a time, others stand by and take
                                   over when its lease runs out
  postgres_dsn =                   libpq connection string or URI; list every
                                   PostgreSQL host with target_session_attrs=
                                   read-write so a Patroni failover is followed
                                   (host=a,b,c port=5432,5432,5432 dbname=cmq
                                   target_session_attrs=read-write). The schema is
                                   created or migrated at start
  node_id = HOSTNAME:PORT          unique name of this node in the cluster
  advertise = LISTEN               HOST:PORT other nodes reach this node at
  lease_ms = 8000                  an owner that stops renewing is replaced after
                                   this long (judged by PostgreSQL's clock); it
                                   stops answering itself once its own clock says
                                   the lease ran out
  postgres_timeout_ms = 3000       longest wait for any PostgreSQL statement or
                                   connect; a commit that takes longer fails with a
                                   retryable error (it may still have happened)
  postgres_max_log_mb = 0          cap on the partition's log in PostgreSQL: sends
                                   beyond it answer 6000/10090 while deletes go on
                                   (keep it below the database's disk); 0: no cap
  postgres_cache_mb = 256          log segments kept in memory for reads
  partitions = 1                   partitions of a new cluster (this release: 1)

Config file only: more accounts, each as a section
  [account]
  app_id = 1300000001
  secret_id = AKID...
  secret_key = ...
  enabled = true

Signals: SIGTERM/SIGINT stop gracefully (no new requests, in-flight ones finish,
the journal is synced, exit 0). SIGHUP reopens the access log and re-reads the TLS
certificate and key.
)";
}

}  // namespace cmq::server
