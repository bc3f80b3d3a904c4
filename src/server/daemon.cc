#include "server/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <vector>

#include "admin/node_families.h"
#include "admin/process_families.h"
#include "admin/queue_families.h"
#include "admin/request_families.h"
#include "admin/topic_families.h"
#include "api/api.h"
#include "auth/verifier.h"
#include "broker/broker.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/tls_context.h"
#include "console/console.h"
#include "delivery/pusher.h"
#include "env/env.h"
#include "http/event_loop.h"
#include "http/server.h"
#include "journal/journal.h"
#include "pglog/pg_conn.h"
#include "server/access_log.h"
#include "server/admin_listener.h"
#include "server/cluster_description.h"
#include "server/credentials.h"
#include "server/forwarder.h"
#include "server/off_loop_runner.h"
#include "server/open_file_limit.h"
#include "server/postgres_partition.h"
#include "server/startup_error.h"

namespace cmq::server {

struct Daemon::Impl : public http::Handler, public console::CallRouting {
  Config config;
  env::Env* env = env::PosixEnv();
  http::EventLoop loop;
  auth::KeyStore keys;
  // Null: access_log off. Declared before whatever may still answer a request when
  // destroyed, so it is destroyed after them.
  std::unique_ptr<AccessLog> access_log;
  // The certificate and key of tls_listen and admin_tls (null when neither is on);
  // declared before the listeners, which use it until they are destroyed.
  std::unique_ptr<TlsServerContext> tls;
  uint16_t tls_port = 0;  // bound port of tls_listen
  // Embedded mode: the journal and the one broker over it.
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<broker::Broker> broker;
  // Distributed mode: the partition's lives, each with its own log and broker.
  std::unique_ptr<PostgresPartition> partition;
  // The broker serving now (either mode); null while a distributed node stands by.
  broker::Broker* active = nullptr;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<http::Server> server;
  // The operator's listener (null when admin_listen is empty).
  std::unique_ptr<AdminListener> admin_listener;
  // Declared after the broker: destroyed first, so no push completes into a dead broker.
  std::unique_ptr<delivery::Pusher> pusher;
  // Distributed mode: requests for a partition another node owns go there.
  std::unique_ptr<Forwarder> forwarder;
  int64_t last_forward_complaint_ms = 0;
  // Forwards to the owner by outcome, for /metrics (loop thread).
  uint64_t forwards_answered = 0;
  uint64_t forwards_failed = 0;
  uint64_t forwards_cancelled = 0;
  // Message traces read the log here, off the loop (at most kMaxTraces at a time).
  // Destroyed before the parts above, waiting for the traces still reading.
  static constexpr int kMaxTraces = 2;
  std::unique_ptr<OffLoopRunner> off_loop;

  http::EventLoop::TimerId tick_timer = 0;
  int64_t tick_at = INT64_MAX;
  std::atomic<bool> completions_posted{false};
  int signal_fd = -1;
  OpenFileLimit open_files;
  uint64_t fitted_journal_files = 0;  // what the connection cap was computed for
  bool stopping = false;
  int64_t stop_deadline_ms = 0;
  // Who this node is (the distributed mode's node id; host:port in embedded mode).
  std::string node_id;
  std::string advertise;
  int64_t started_unix_s = 0;

  explicit Impl(Config c) : config(std::move(c)) {}

  ~Impl() override {
    // A start that failed after the partition was claimed: end its life while the api
    // and pusher it reports to still exist (Run() stops it otherwise).
    if (partition) {
      Status stopped = partition->Stop();
      (void)stopped;  // logged by Stop
    }
    if (signal_fd >= 0) close(signal_fd);
  }

  // Start-up says which settings are in force: those given by flags and the config
  // file, on one line (a key given twice: the value that won); the rest are the
  // defaults of --help. The key pair in use is logged where it is settled
  // (credentials.h), by its SecretId.
  void LogGivenSettings() {
    std::vector<LogField> fields;
    for (const auto& [key, value] : config.given_settings) {
      auto same = std::find_if(fields.begin(), fields.end(),
                               [&](const LogField& f) { return f.key == key; });
      if (same != fields.end()) fields.erase(same);
      fields.emplace_back(key, value);
    }
    LogEvent(LogLevel::kInfo,
             fields.empty() ? "settings: all defaults" : "settings given (others default)",
             std::span<const LogField>(fields));
  }

  // The configured accounts; the default one joins once its key pair is known
  // (AddDefaultAccount), from the data directory or the cluster's database.
  Status SetUpAccounts() {
    for (const AccountConfig& a : config.accounts) {
      CMQ_RETURN_IF_ERROR(keys.Add({a.secret_id, a.secret_key, a.app_id, a.enabled}));
    }
    return Status::Ok();
  }

  Status AddDefaultAccount(const Result<KeyPair>& pair) {
    if (!pair.ok()) return pair.status();
    return keys.Add({pair->secret_id, pair->secret_key, config.default_app_id, true});
  }

  Status Start() {
    CMQ_RETURN_IF_ERROR(StartupError("cannot set up signal handling", BlockHandledSignals()));
    if (config.log_level == "debug") MinLogLevel() = LogLevel::kDebug;
    if (config.log_level == "warn") MinLogLevel() = LogLevel::kWarn;
    if (config.log_level == "error") MinLogLevel() = LogLevel::kError;
    OutputLogFormat() = config.log_format;
    LogGivenSettings();
    auto limit = RaiseOpenFileLimit();
    if (!limit.ok()) return StartupError("cannot read the open-file limit", limit.status());
    open_files = *limit;
    // The listener first: a taken port must stop the start before anything is
    // created or a key pair printed. Nothing is accepted before Run(): connections
    // made during recovery wait in the listen backlog.
    server = std::make_unique<http::Server>(&loop, this, config.http);
    CMQ_RETURN_IF_ERROR(StartupError(
        "cannot listen on " + config.listen_host + ":" + std::to_string(config.listen_port),
        server->Listen(config.listen_host, config.listen_port)));
    CMQ_RETURN_IF_ERROR(ListenTls());
    CMQ_RETURN_IF_ERROR(ListenAdmin());
    CMQ_RETURN_IF_ERROR(StartupError("cannot create the data directory " + config.data_dir,
                                     env->CreateDir(config.data_dir)));
    CMQ_RETURN_IF_ERROR(StartupError(
        "cannot lock the data directory " + config.data_dir + " (is another cmqd using it?)",
        env->LockFile(config.data_dir + "/LOCK")));
    CMQ_RETURN_IF_ERROR(SetUpAccounts());
    if (!config.access_log.empty()) {
      auto opened = AccessLog::Open(env, {config.access_log, config.log_format});
      if (!opened.ok()) return StartupError("cannot write the access log", opened.status());
      access_log = std::move(opened).value();
    }

    // One push network policy for Subscribe (api) and connect (pusher), which also
    // refuses cmqd's own port (the listener is bound already).
    auto push_policy = std::make_shared<PushNetworkPolicy>(config.push_networks);
    config.api.push_policy = push_policy;
    config.push.policy = push_policy;
    push_policy->AddOwnPort(server->port());
    if (tls_port != 0) push_policy->AddOwnPort(tls_port);
    if (admin_listener) push_policy->AddOwnPort(admin_listener->port());
    NameThisNode();
    config.api.describe_cluster = [this](auto answer) { DescribeCluster(std::move(answer)); };
    off_loop = std::make_unique<OffLoopRunner>(
        env, [this](std::function<void()> fn) { loop.Post(std::move(fn)); }, kMaxTraces);
    config.api.run_off_loop = [this](std::function<void()> work, std::function<void()> then) {
      return off_loop->Run(std::move(work), std::move(then));
    };
    api = std::make_unique<api::Api>(nullptr, &keys, env->clock(), config.api);
    if (admin_listener) {
      console::ConsoleOptions console_options;
      console_options.https = config.admin_tls;  // Secure cookies, https:// origins
      console_options.routing = this;            // forwarded like the API's requests
      admin_listener->SetConsole(
          std::make_unique<console::Console>(api.get(), &keys, env->clock(), console_options));
    }
    if (config.storage == Config::Storage::kPostgres) {
      CMQ_RETURN_IF_ERROR(StartPostgres());
    } else {
      CMQ_RETURN_IF_ERROR(StartEmbedded());
    }
    CMQ_RETURN_IF_ERROR(StartupError("too low an open-file limit",
                                     CheckOpenFileLimit(open_files.soft, JournalFiles())));
    FitConnectionsToOpenFileLimit();
    LogOpenFileLimit();
    CMQ_RETURN_IF_ERROR(StartupError("cannot set up signal handling", InstallSignalHandlers()));
    ScheduleTick();
    // Before the listening line, which tells a waiting script or test that both are up.
    if (admin_listener) {
      printf("cmqd: admin listener on %s://%s:%u (/console/, /metrics, /healthz, /readyz)\n",
             config.admin_tls ? "https" : "http", config.admin_host.c_str(),
             admin_listener->port());
    }
    if (tls_port != 0) {
      printf("cmqd: HTTPS listener on https://%s:%u\n", config.tls_host.c_str(), tls_port);
    }
    if (partition) {
      printf("cmqd: listening on http://%s:%u (storage postgres, %s)\n",
             config.listen_host.c_str(), server->port(),
             active != nullptr ? "serving" : "standing by");
    } else {
      printf("cmqd: listening on http://%s:%u (data dir %s, durability %s)\n",
             config.listen_host.c_str(), server->port(), config.data_dir.c_str(),
             config.relaxed_durability ? "relaxed" : "sync");
    }
    fflush(stdout);
    return Status::Ok();
  }

  // The certificate, then the HTTPS listener (tls_listen) on the API's server: the same
  // handler, limits and connection cap as plain HTTP.
  Status ListenTls() {
    if (config.tls_cert_file.empty()) return Status::Ok();  // config: then TLS is off
    Result<std::unique_ptr<TlsServerContext>> loaded =
        TlsServerContext::Load(config.tls_cert_file, config.tls_key_file);
    if (!loaded.ok()) return StartupError("cannot use the TLS certificate", loaded.status());
    tls = std::move(loaded).value();
    LogCertificate("TLS certificate in use");
    if (config.tls_host.empty()) return Status::Ok();
    return StartupError("cannot listen on " + config.tls_host + ":" +
                            std::to_string(config.tls_port) + " (tls_listen)",
                        server->Listen(config.tls_host, config.tls_port, tls.get(), &tls_port));
  }

  void LogCertificate(const char* what) {
    std::string described = tls->Describe();
    LogField fields[] = {{"cert_file", tls->cert_file()}, {"certificate", described}};
    // An expired certificate still starts the listener (the operator may be replacing
    // it), but every verifying client will refuse it: say so loudly.
    bool expired = described.ends_with("(EXPIRED)");
    LogEvent(expired ? LogLevel::kWarn : LogLevel::kInfo, what, std::span<const LogField>(fields));
  }

  // SIGHUP: new connections use the re-read pair; a bad one leaves the old in use.
  void ReloadCertificate() {
    if (!tls) return;
    Status reloaded = tls->Reload();
    if (!reloaded.ok()) {
      CMQ_LOG_ERROR("SIGHUP: keeping the TLS certificate in use: %s", reloaded.detail().c_str());
      return;
    }
    LogCertificate("SIGHUP: TLS certificate reloaded");
  }

  // The admin listener, bound right after the API's so that a taken port stops the
  // start the same way. Its answers come from this daemon, on the loop.
  Status ListenAdmin() {
    if (config.admin_host.empty()) return Status::Ok();
    admin::AdminSources sources;
    sources.readiness = [this] { return Readiness(); };
    sources.metrics = [this](admin::MetricsText& text) { WriteMetrics(text); };
    admin_listener = std::make_unique<AdminListener>(&loop, std::move(sources));
    return StartupError("cannot listen on " + config.admin_host + ":" +
                            std::to_string(config.admin_port) + " (admin_listen)",
                        admin_listener->Listen(config.admin_host, config.admin_port,
                                               config.admin_tls ? tls.get() : nullptr));
  }

  // /readyz. Recovery at start runs before the loop, so probes made meanwhile wait
  // in the listen backlog and are answered once it finished.
  admin::Readiness Readiness() {
    if (stopping) return {false, "shutting down: no new requests are accepted"};
    // Either log: the journal's disk, or the PostgreSQL log's postgres_max_log_mb.
    if (active != nullptr && active->OutOfSpace()) {
      return {false, "the disk is full: new messages are refused, receives and deletes are served"};
    }
    if (partition) {
      if (partition->Serving()) return {true, "serving the partition"};
      if (std::optional<PostgresPartition::Peer> owner = partition->Owner()) {
        return {true, "standing by: requests are forwarded to node " + owner->node_id + " at " +
                          owner->address};
      }
      return {false,
              "not serving the partition and no owner known: claiming or recovering it, or "
              "the database cannot be reached"};
    }
    if (journal && journal->Stats().failed) {
      return {false, "the journal failed after a disk error: writes are refused until a restart"};
    }
    return {true, "serving"};
  }

  // /metrics, on the loop: the process, the api's requests, this node's figures and
  // the queues of the broker serving here (docs/architecture.md).
  void WriteMetrics(admin::MetricsText& text) {
    admin::WriteProcessFamilies(text, {static_cast<double>(started_unix_s), config.version});
    admin::WriteRequestFamilies(text, api->request_metrics());
    admin::NodeFigures node;
    node.connections = static_cast<int64_t>(server->OpenConnections());
    if (active != nullptr) {
      broker::Broker::Stats stats = active->GetStats();
      node.broker = admin::NodeFigures::Broker{stats.queues, stats.topics, stats.parked_receives,
                                               stats.pending_deliveries};
    }
    if (journal) {
      journal::JournalStats stats = journal->Stats();
      admin::JournalFigures figures;
      figures.segments = SegmentsKept(stats);
      figures.bytes = figures.segments * static_cast<int64_t>(config.segment_size);
      Result<uint64_t> free = env->FreeSpace(config.data_dir);
      if (free.ok()) figures.disk_free_bytes = *free;
      figures.appended_records = stats.appended_records;
      figures.appended_bytes = stats.appended_bytes;
      figures.syncs = stats.syncs;
      figures.commits = journal->Commits();
      node.journal = figures;
    }
    if (partition) {
      PostgresPartition::Figures p = partition->GetFigures();
      admin::ClusterFigures cluster;
      cluster.epoch = p.epoch;
      cluster.partitions_owned = active != nullptr ? 1 : 0;
      cluster.lease_renewals = p.lease_renewals;
      cluster.lease_renewal_failures = p.lease_renewal_failures;
      cluster.forwards_answered = forwards_answered;
      cluster.forwards_failed = forwards_failed;
      cluster.forwards_cancelled = forwards_cancelled;
      cluster.commits = std::move(p.commits);
      node.cluster = std::move(cluster);
    }
    admin::WriteNodeFamilies(text, node);
    if (active != nullptr) {
      admin::WriteQueueFamilies(text, *active, config.metrics_max_queues, env->clock()->NowMs());
      admin::WriteTopicFamilies(text, *active, config.metrics_max_queues);
    }
  }

  // Segment files the journal keeps (spares not counted).
  static int64_t SegmentsKept(const journal::JournalStats& stats) {
    return int64_t{stats.current_segment} - stats.oldest_segment + 1;
  }

  Status StartEmbedded() {
    CMQ_RETURN_IF_ERROR(AddDefaultAccount(DefaultKeyPair(env, config)));
    journal::JournalOptions jopts;
    jopts.dir = config.data_dir + "/journal";
    jopts.segment_size = config.segment_size;
    jopts.relaxed = config.relaxed_durability;
    jopts.relaxed_sync_interval_ms = config.relaxed_sync_interval_ms;
    jopts.ride_along_ms = config.ride_along_ms;
    jopts.prepared_spares = config.prepared_segments;
    jopts.salvage = config.salvage;
    auto opened = journal::Journal::Open(env, jopts);
    if (!opened.ok())
      return StartupError("cannot open the journal in " + jopts.dir, opened.status());
    journal = std::move(opened).value();
    broker = std::make_unique<broker::Broker>(env->clock(), journal.get(), config.api.limits);

    int64_t records = 0;
    Status recovered = journal->Recover(
        [&](journal::RecordType type, std::string_view payload, journal::Location loc) {
          ++records;
          return broker->Replay(type, payload, loc);
        });
    if (!recovered.ok()) {
      Status cause = recovered;
      if (recovered.error() == ErrorCode::kCorruption) {
        cause = Status(
            ErrorCode::kCorruption,
            recovered.detail() + "; start with --salvage to skip damaged records (they are lost)");
      }
      return StartupError("cannot recover the journal in " + jopts.dir, cause);
    }
    LogRecoveryNotes();
    broker->FinishRecovery();
    broker::Broker::Stats stats = broker->GetStats();
    CMQ_LOG_INFO("recovered %lld records: %lld queues, %lld messages",
                 static_cast<long long>(records), static_cast<long long>(stats.queues),
                 static_cast<long long>(stats.messages));

    Status writing = journal->Start([this] {
      // Called on the writer thread; coalesce wake-ups into one posted task.
      if (!completions_posted.exchange(true)) {
        loop.Post([this] {
          completions_posted.store(false);
          journal->RunCompletions();
          FitConnectionsToOpenFileLimit();
          ScheduleTick();
        });
      }
    });
    CMQ_RETURN_IF_ERROR(StartupError("cannot start the journal writer", writing));

    Serve(broker.get());
    return Status::Ok();
  }

  // The node id (given, else host:port) and the address peers reach it at (given,
  // else the listen address, or the host name when listening on every interface).
  void NameThisNode() {
    std::string port = std::to_string(server->port());
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "localhost");
    node_id = config.postgres.node_id.empty() ? std::string(host) + ":" + port
                                              : config.postgres.node_id;
    advertise = config.postgres.advertise;
    if (advertise.empty()) {
      bool any = config.listen_host == "0.0.0.0" || config.listen_host == "::";
      advertise = (any ? std::string(host) : config.listen_host) + ":" + port;
    }
    started_unix_s = env->clock()->NowMs() / 1000;
  }

  // DescribeCluster: the database's view in distributed mode, this one node otherwise.
  void DescribeCluster(std::function<void(Result<api::ClusterFields>)> answer) {
    if (partition) {
      partition->DescribeCluster([this, answer](Result<pglog::ClusterView> view) {
        if (!view.ok()) return answer(view.status());
        answer(DistributedClusterFields(std::move(view).value(), node_id,
                                        config.postgres.lease_ms));
      });
      return;
    }
    EmbeddedNode node{node_id, advertise, started_unix_s};
    if (journal) {
      node.segments = SegmentsKept(journal->Stats());
      node.log_bytes = node.segments * static_cast<int64_t>(config.segment_size);
    }
    answer(EmbeddedClusterFields(std::move(node)));
  }

  // Distributed mode: this node serves the partition when it holds its lease.
  Status StartPostgres() {
    PostgresPartition::Hooks hooks;
    hooks.post = [this](std::function<void()> fn) { loop.Post(std::move(fn)); };
    hooks.serving = [this](broker::Broker* b) { Serve(b); };
    hooks.after_completions = [this] { ScheduleTick(); };
    partition = std::make_unique<PostgresPartition>(env, config, node_id, advertise, hooks);
    ForwarderOptions forwarding;
    forwarding.node_id = node_id;
    forwarder = std::make_unique<Forwarder>(&loop, env, forwarding);
    CMQ_LOG_INFO("distributed mode: node %s (advertised as %s), lease %d ms", node_id.c_str(),
                 advertise.c_str(), config.postgres.lease_ms);
    CMQ_RETURN_IF_ERROR(StartupError("cannot start on PostgreSQL", partition->Start()));
    // Every node verifies the same signatures: the default key pair lives in the database.
    auto conn = pglog::PgConn::Connect(config.postgres.dsn, "cmqd-" + node_id + "-setup",
                                       config.postgres.timeout_ms);
    if (!conn.ok()) return StartupError("cannot connect to PostgreSQL", conn.status());
    return AddDefaultAccount(ClusterDefaultKeyPair(config, conn->get()));
  }

  // `b` serves requests from now on (null: none does). The pusher belongs to one
  // broker: no push may complete into a broker that is gone.
  void Serve(broker::Broker* b) {
    pusher.reset();
    active = b;
    api->SetBroker(b);
    if (b != nullptr) StartPushing(b);
    ScheduleTick();
  }

  // Says what recovery cut off (torn tails: normal after a crash) and what salvage
  // skipped (lost records: the operator asked for it).
  void LogRecoveryNotes() {
    for (const journal::RecoveryNote& n : journal->RecoveryNotes()) {
      unsigned long long begin = n.begin, end = n.end;
      switch (n.kind) {
        case journal::RecoveryNote::Kind::kTornTail:
          CMQ_LOG_WARN("journal: %s at offset %llu: %s (%llu bytes, never acknowledged)",
                       n.file.c_str(), begin, n.what.c_str(), end - begin);
          break;
        case journal::RecoveryNote::Kind::kSkipped:
          CMQ_LOG_ERROR(
              "journal: salvage: %s bytes %llu-%llu (%llu bytes): %s; records there are lost",
              n.file.c_str(), begin, end, end - begin, n.what.c_str());
          break;
        case journal::RecoveryNote::Kind::kHarmless:
          CMQ_LOG_INFO("journal: %s at offset %llu: %s", n.file.c_str(), begin, n.what.c_str());
          break;
      }
    }
  }

  // Segments kept plus the spares kept ready (more may exist for a while: see
  // kJournalGrowthDescriptors).
  uint64_t JournalFiles() const {
    if (!journal) return 0;
    return uint64_t{journal->CurrentSegment()} - journal->OldestSegment() + 1 +
           static_cast<uint64_t>(config.prepared_segments);
  }

  // Client connections get what the open-file limit leaves after the journal, push
  // and the process (open_file_limit.h); the journal's share moves as it rolls into
  // new segments and drops old ones.
  void FitConnectionsToOpenFileLimit() {
    uint64_t files = JournalFiles();
    if (files == fitted_journal_files) return;
    fitted_journal_files = files;
    server->LimitConnections(
        ConnectionCap(open_files.soft, files, config.http.max_connections),
        "what the open-file limit of " + std::to_string(open_files.soft) + " leaves for clients");
  }

  void LogOpenFileLimit() {
    std::string text =
        DescribeConnectionBudget(open_files, JournalFiles(), config.http.max_connections);
    LogMessage(open_files.raise_error.empty() ? LogLevel::kInfo : LogLevel::kWarn, "%s",
               text.c_str());
  }

  // HTTP deliveries the broker finds due go to the pusher; each outcome is recorded
  // by the broker, which may make new work due.
  void StartPushing(broker::Broker* b) {
    pusher = std::make_unique<delivery::Pusher>(&loop, env, config.push);
    b->SetPushSink([this, b](broker::PushTask task) {
      uint64_t id = task.delivery_id;
      pusher->Push(task, [this, b, id](bool delivered, std::string_view error) {
        b->CompletePush(id, delivered, error);
        ScheduleTick();
      });
    });
  }

  // SIGTERM and SIGINT stop; SIGHUP reopens the access log and re-reads the TLS pair.
  static sigset_t HandledSignals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    return mask;
  }

  // Must run before any thread starts, so that every thread inherits the blocked mask
  // and the signals reach only the signalfd.
  static Status BlockHandledSignals() {
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask = HandledSignals();
    if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) {
      return Status(ErrorCode::kIoError, "pthread_sigmask");
    }
    return Status::Ok();
  }

  Status InstallSignalHandlers() {
    sigset_t mask = HandledSignals();
    signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) return Status(ErrorCode::kIoError, "signalfd");
    loop.AddFd(signal_fd, EPOLLIN, [this](uint32_t) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGHUP) {
          CMQ_LOG_INFO("signal %u: %s", info.ssi_signo,
                       access_log ? "reopening the access log" : "no access log to reopen");
          if (access_log) access_log->Reopen();
          ReloadCertificate();
          continue;
        }
        CMQ_LOG_INFO("signal %u: shutting down", info.ssi_signo);
        BeginShutdown();
      }
    });
    return Status::Ok();
  }

  // The broker's next deadline drives one loop timer.
  void ScheduleTick() {
    int64_t next = active != nullptr ? active->NextDeadlineMs() : INT64_MAX;
    if (next == tick_at) return;
    if (tick_timer != 0) loop.Cancel(tick_timer);
    tick_timer = 0;
    tick_at = next;
    if (next == INT64_MAX) return;
    int64_t delay = std::max<int64_t>(0, next - env->clock()->NowMs());
    tick_timer = loop.RunAfter(delay, [this] {
      tick_timer = 0;
      tick_at = INT64_MAX;
      if (active != nullptr) active->Tick();
      ScheduleTick();
    });
  }

  void OnRequest(http::Request request, http::Responder respond,
                 std::function<void(std::function<void()>)> set_on_cancel) override {
    auto arrived = std::chrono::steady_clock::now();
    // Distributed mode: a node that does not serve the partition passes the request to
    // the node that does, unless it was forwarded here already (the sender's view of the
    // owner was stale: the api's retryable "not serving" answers it, never a loop). A
    // node whose lease ran out by its own clock answers nothing more for the partition.
    if (partition && !partition->Serving() && request.Header(kForwardedByHeader) == nullptr) {
      if (std::optional<PostgresPartition::Peer> owner = partition->Owner()) {
        return ForwardRequest(*owner, std::move(request), std::move(respond),
                              std::move(set_on_cancel), arrived);
      }
    }
    HandleHere(std::move(request), std::move(respond), set_on_cancel, arrived);
  }

  // The longest a forwarded request may take at the owner: a long poll's wait, or a
  // commit's PostgreSQL timeout twice over (a reconnect and a retry), plus slack.
  int64_t ForwardTimeoutMs() const {
    return int64_t{config.api.limits.max_polling_wait_seconds} * 1000 +
           2 * int64_t{config.postgres.timeout_ms} + 2000;
  }

  void ForwardRequest(const PostgresPartition::Peer& owner, http::Request request,
                      http::Responder respond,
                      std::function<void(std::function<void()>)> set_on_cancel,
                      std::chrono::steady_clock::time_point arrived) {
    auto held = std::make_shared<http::Request>(std::move(request));
    std::function<void()> cancel = ForwardToOwner(
        owner, *held,
        [this, held, owner, respond, arrived](http::Response response,
                                              const api::AnswerSummary& summary) {
          LogAnswered(held->peer, summary, arrived, owner.node_id);
          respond(std::move(response));
        },
        [this, held, respond, set_on_cancel, arrived](const Status&) {
          // The api answers here: a retryable "not serving", or the request itself if
          // this node has claimed the partition meanwhile. The forward is over (counted
          // as failed): a client leaving from now on cancels what HandleHere sets up,
          // if anything, not this forward again.
          set_on_cancel(nullptr);
          HandleHere(std::move(*held), respond, set_on_cancel, arrived);
        });
    set_on_cancel(std::move(cancel));
  }

  // Sends `request` to `owner`. `answered` gets the owner's response, without the
  // summary of it (X-Cmq-Answer) that is for this node's access line alone; `failed`
  // runs when the owner could not be reached or gave no answer in time (the request
  // may or may not have run there), after this node looked at its partition again.
  // Returns what cancels the forward (the client went away).
  using OwnerAnswered = std::function<void(http::Response, const api::AnswerSummary&)>;
  std::function<void()> ForwardToOwner(const PostgresPartition::Peer& owner,
                                       const http::Request& request, OwnerAnswered answered,
                                       std::function<void(const Status&)> failed) {
    uint64_t id = forwarder->Forward(
        owner.address, request, ForwardTimeoutMs(),
        [this, owner, answered, failed](Result<http::Response> answer) {
          if (answer.ok()) {
            ++forwards_answered;
            http::Response response = std::move(answer).value();
            std::string summary;
            std::erase_if(response.headers, [&](const auto& header) {
              if (!EqualsIgnoreCase(header.first, kAnswerSummaryHeader)) return false;
              summary = header.second;
              return true;
            });
            ForwardedAnswer forwarded = DecodeAnswerSummary(summary);
            return answered(std::move(response), forwarded.summary());
          }
          ++forwards_failed;
          partition->LookAgain();
          int64_t now = env->clock()->NowMs();
          if (now - last_forward_complaint_ms >= 5000) {
            last_forward_complaint_ms = now;
            CMQ_LOG_WARN("forwarding to node %s (%s) failed: %s", owner.node_id.c_str(),
                         owner.address.c_str(), answer.status().ToString().c_str());
          }
          // Ends the partition's life here if this node's lease ran out meanwhile, as
          // whoever answers next expects (HandleHere).
          partition->Serving();
          failed(answer.status());
        });
    return [this, id] {
      ++forwards_cancelled;
      forwarder->Cancel(id);
    };
  }

  // console::CallRouting: a console call goes where an API request would, signed with
  // the session's key pair since the owner trusts no node without a signature.
  std::function<void()> Forward(const SignedCall& sign,
                                std::chrono::steady_clock::time_point arrived, Done done) override {
    if (!partition || partition->Serving()) return {};
    std::optional<PostgresPartition::Peer> owner = partition->Owner();
    if (!owner) return {};
    http::Request request = sign(owner->address);
    return ForwardToOwner(
        *owner, request,
        [this, client = request.peer, node = owner->node_id, arrived, done](
            http::Response response, const api::AnswerSummary& summary) {
          LogAnswered(client, summary, arrived, node, kViaConsole);
          done(std::move(response.body));
        },
        [done](const Status& failure) { done(failure); });
  }

  void Answered(const std::string& client, const api::AnswerSummary& summary,
                std::chrono::steady_clock::time_point arrived) override {
    LogAnswered(client, summary, arrived, "", kViaConsole);
  }

  // The access line (and the debug line) of a request this node answered its client.
  // `via`: "" for the API port, kViaConsole for the web console's calls and logins.
  void LogAnswered(const std::string& client, const api::AnswerSummary& summary,
                   std::chrono::steady_clock::time_point arrived, std::string_view forwarded_to,
                   std::string_view via = "") {
    bool debug = LogEnabled(LogLevel::kDebug);
    if (!access_log && !debug) return;
    AccessEntry entry;
    entry.unix_ms = env->clock()->NowMs();
    entry.client = client;
    entry.answer = summary;
    entry.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - arrived)
                            .count();
    entry.forwarded_to = forwarded_to;
    entry.via = via;
    if (access_log) access_log->Write(entry);
    if (debug)
      LogEvent(LogLevel::kDebug, "answered", std::span<const LogField>(AccessFields(entry)));
  }

  // Answers with the api; the caller has asked partition->Serving() just before, so a
  // lease that ran out by this node's clock has already ended the partition's life.
  // A request another node forwarded here is logged there: its answer carries the
  // summary for that node's access line (X-Cmq-Answer) instead.
  void HandleHere(http::Request request, http::Responder respond,
                  const std::function<void(std::function<void()>)>& set_on_cancel,
                  std::chrono::steady_clock::time_point arrived) {
    bool forwarded = request.Header(kForwardedByHeader) != nullptr;
    std::string client = forwarded ? ForwardedClient(request) : request.peer;
    api::ApiRequest call{std::move(request.method),
                         std::move(request.host),
                         std::move(request.path),
                         std::move(request.query),
                         std::move(request.body),
                         client,
                         request.tls};
    std::function<void()> cancel =
        api->Handle(call, [this, respond, forwarded, client = std::move(client), arrived](
                              std::string json, const api::AnswerSummary& summary) {
          http::Response response;
          response.body = std::move(json);
          if (forwarded) {
            response.headers.emplace_back(kAnswerSummaryHeader, EncodeAnswerSummary(summary));
          } else {
            LogAnswered(client, summary, arrived, "");
          }
          respond(std::move(response));
        });
    if (cancel) set_on_cancel(std::move(cancel));
    ScheduleTick();
  }

  // The client of a request another node forwarded: the address that node added last
  // to X-Forwarded-For (its own peer), else the forwarding node itself.
  static std::string ForwardedClient(const http::Request& request) {
    const std::string* chain = request.Header("x-forwarded-for");
    if (chain == nullptr) return request.peer;
    size_t comma = chain->rfind(',');
    std::string_view last = comma == std::string::npos ? std::string_view(*chain)
                                                       : std::string_view(*chain).substr(comma + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    return std::string(last);
  }

  void BeginShutdown() {
    if (stopping) return;
    stopping = true;
    server->StopAccepting();
    stop_deadline_ms = env->clock()->NowMs() + config.shutdown_grace_ms;
    WaitForDrain();
  }

  // Done when every request is answered and every answer has left (the server
  // closes each connection after its last response), or when the grace period ends.
  void WaitForDrain() {
    bool drained = server->PendingRequests() == 0 && server->OpenConnections() == 0;
    if (drained || env->clock()->NowMs() >= stop_deadline_ms) {
      if (!drained) {
        CMQ_LOG_WARN("shutdown grace period over with %zu requests unanswered, %zu connections",
                     server->PendingRequests(), server->OpenConnections());
      }
      loop.Stop();
      return;
    }
    loop.RunAfter(10, [this] { WaitForDrain(); });
  }
};

Daemon::Daemon(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Daemon::~Daemon() = default;

Status Daemon::Start() { return impl_->Start(); }

Status Daemon::Run() {
  impl_->loop.Run();
  if (impl_->partition) return impl_->partition->Stop();
  Status closed = impl_->journal->Close();
  if (!closed.ok()) {
    CMQ_LOG_ERROR("journal close failed: %s", closed.ToString().c_str());
  } else {
    CMQ_LOG_INFO("journal synced; bye");
  }
  return closed;
}

void Daemon::RequestStop() {
  impl_->loop.Post([this] { impl_->BeginShutdown(); });
}

uint16_t Daemon::port() const { return impl_->server->port(); }

}  // namespace cmq::server
