#include "server/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>

#include "api/api.h"
#include "auth/verifier.h"
#include "broker/broker.h"
#include "common/log.h"
#include "common/strings.h"
#include "delivery/pusher.h"
#include "env/env.h"
#include "http/event_loop.h"
#include "http/server.h"
#include "journal/journal.h"

namespace cmq::server {
namespace {

constexpr char kCredentialsFile[] = "credentials";

// Reads "key=value" lines of the credentials file kept in the data directory.
Status LoadCredentials(env::Env* env, const std::string& path, std::string* id, std::string* key) {
  auto file = env->Open(path, env::OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string text;
  CMQ_RETURN_IF_ERROR((*file)->PRead(0, *size, &text));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "secret_id") *id = v;
    if (k == "secret_key") *key = v;
  }
  if (id->empty() || key->empty()) {
    return Status(ErrorCode::kCorruption, path + " lacks secret_id or secret_key");
  }
  return Status::Ok();
}

Status SaveCredentials(env::Env* env, const std::string& dir, const std::string& id,
                       const std::string& key) {
  std::string tmp = dir + "/" + kCredentialsFile + ".tmp";
  std::string text = "secret_id=" + id + "\nsecret_key=" + key + "\n";
  mode_t old_mask = umask(077);  // the key file is readable by its owner only
  auto file = env->Open(tmp, env::OpenMode::kCreateOrOpen);
  umask(old_mask);
  if (!file.ok()) return file.status();
  CMQ_RETURN_IF_ERROR((*file)->Truncate(0));
  CMQ_RETURN_IF_ERROR((*file)->PWrite(0, text));
  CMQ_RETURN_IF_ERROR((*file)->DataSync());
  CMQ_RETURN_IF_ERROR(env->Rename(tmp, dir + "/" + kCredentialsFile));
  return env->SyncDir(dir);
}

}  // namespace

struct Daemon::Impl : public http::Handler {
  Config config;
  env::Env* env = env::PosixEnv();
  http::EventLoop loop;
  auth::KeyStore keys;
  std::unique_ptr<journal::Journal> journal;
  std::unique_ptr<broker::Broker> broker;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<http::Server> server;
  // Declared after the broker: destroyed first, so no push completes into a dead broker.
  std::unique_ptr<delivery::Pusher> pusher;

  http::EventLoop::TimerId tick_timer = 0;
  int64_t tick_at = INT64_MAX;
  std::atomic<bool> completions_posted{false};
  int signal_fd = -1;
  bool stopping = false;
  int64_t stop_deadline_ms = 0;

  explicit Impl(Config c) : config(std::move(c)) {}

  ~Impl() override {
    if (signal_fd >= 0) close(signal_fd);
  }

  Status SetUpCredentials() {
    std::string id = config.secret_id, key = config.secret_key;
    std::string path = config.data_dir + "/" + kCredentialsFile;
    if (id.empty()) {
      if (env->Exists(path)) {
        CMQ_RETURN_IF_ERROR(LoadCredentials(env, path, &id, &key));
        CMQ_LOG_INFO("default account %llu uses SecretId %s (key in %s)",
                     static_cast<unsigned long long>(config.default_app_id), id.c_str(),
                     path.c_str());
      } else {
        id = "AKID" + RandomAlnum(32);
        key = RandomAlnum(32);
        CMQ_RETURN_IF_ERROR(SaveCredentials(env, config.data_dir, id, key));
        // Printed once, on the start that generated it.
        printf(
            "cmqd: generated a key pair for the default account (appId %llu)\n"
            "  SecretId:  %s\n  SecretKey: %s\n  (kept in %s)\n",
            static_cast<unsigned long long>(config.default_app_id), id.c_str(), key.c_str(),
            path.c_str());
        fflush(stdout);
      }
    }
    CMQ_RETURN_IF_ERROR(keys.Add({id, key, config.default_app_id, true}));
    for (const AccountConfig& a : config.accounts) {
      CMQ_RETURN_IF_ERROR(keys.Add({a.secret_id, a.secret_key, a.app_id, a.enabled}));
    }
    return Status::Ok();
  }

  Status Start() {
    CMQ_RETURN_IF_ERROR(BlockStopSignals());
    if (config.log_level == "debug") MinLogLevel() = LogLevel::kDebug;
    if (config.log_level == "warn") MinLogLevel() = LogLevel::kWarn;
    if (config.log_level == "error") MinLogLevel() = LogLevel::kError;
    CMQ_RETURN_IF_ERROR(env->CreateDir(config.data_dir));
    CMQ_RETURN_IF_ERROR(env->LockFile(config.data_dir + "/LOCK"));
    CMQ_RETURN_IF_ERROR(SetUpCredentials());

    journal::JournalOptions jopts;
    jopts.dir = config.data_dir + "/journal";
    jopts.segment_size = config.segment_size;
    jopts.relaxed = config.relaxed_durability;
    jopts.relaxed_sync_interval_ms = config.relaxed_sync_interval_ms;
    jopts.ride_along_ms = config.ride_along_ms;
    jopts.prepared_spares = config.prepared_segments;
    auto opened = journal::Journal::Open(env, jopts);
    if (!opened.ok()) return opened.status();
    journal = std::move(opened).value();
    broker = std::make_unique<broker::Broker>(env->clock(), journal.get(), config.api.limits);

    int64_t records = 0;
    Status recovered = journal->Recover(
        [&](journal::RecordType type, std::string_view payload, journal::Location loc) {
          ++records;
          return broker->Replay(type, payload, loc);
        });
    if (!recovered.ok()) return recovered;
    broker->FinishRecovery();
    broker::Broker::Stats stats = broker->GetStats();
    CMQ_LOG_INFO("recovered %lld records: %lld queues, %lld messages",
                 static_cast<long long>(records), static_cast<long long>(stats.queues),
                 static_cast<long long>(stats.messages));

    CMQ_RETURN_IF_ERROR(journal->Start([this] {
      // Called on the writer thread; coalesce wake-ups into one posted task.
      if (!completions_posted.exchange(true)) {
        loop.Post([this] {
          completions_posted.store(false);
          journal->RunCompletions();
          ScheduleTick();
        });
      }
    }));

    // One push network policy for Subscribe (api) and connect (pusher); it learns
    // cmqd's own port once the listener has it.
    auto push_policy = std::make_shared<PushNetworkPolicy>(config.push_networks);
    config.api.push_policy = push_policy;
    config.push.policy = push_policy;
    StartPushing();
    api = std::make_unique<api::Api>(broker.get(), &keys, env->clock(), config.api);
    server = std::make_unique<http::Server>(&loop, this, config.http);
    CMQ_RETURN_IF_ERROR(server->Listen(config.listen_host, config.listen_port));
    push_policy->AddOwnPort(server->port());
    CMQ_RETURN_IF_ERROR(InstallSignalHandlers());
    ScheduleTick();
    printf("cmqd: listening on http://%s:%u (data dir %s, durability %s)\n",
           config.listen_host.c_str(), server->port(), config.data_dir.c_str(),
           config.relaxed_durability ? "relaxed" : "sync");
    fflush(stdout);
    return Status::Ok();
  }

  // HTTP deliveries the broker finds due go to the pusher; each outcome is recorded
  // by the broker, which may make new work due.
  void StartPushing() {
    pusher = std::make_unique<delivery::Pusher>(&loop, env, config.push);
    broker->SetPushSink([this](broker::PushTask task) {
      uint64_t id = task.delivery_id;
      pusher->Push(task, [this, id](bool delivered, std::string_view error) {
        broker->CompletePush(id, delivered, error);
        ScheduleTick();
      });
    });
  }

  static sigset_t StopSignals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    return mask;
  }

  // Must run before any thread starts, so that every thread inherits the blocked mask
  // and the signals reach only the signalfd.
  static Status BlockStopSignals() {
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask = StopSignals();
    if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) {
      return Status(ErrorCode::kIoError, "pthread_sigmask");
    }
    return Status::Ok();
  }

  Status InstallSignalHandlers() {
    sigset_t mask = StopSignals();
    signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) return Status(ErrorCode::kIoError, "signalfd");
    loop.AddFd(signal_fd, EPOLLIN, [this](uint32_t) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        CMQ_LOG_INFO("signal %u: shutting down", info.ssi_signo);
        BeginShutdown();
      }
    });
    return Status::Ok();
  }

  // The broker's next deadline drives one loop timer.
  void ScheduleTick() {
    int64_t next = broker->NextDeadlineMs();
    if (next == tick_at) return;
    if (tick_timer != 0) loop.Cancel(tick_timer);
    tick_timer = 0;
    tick_at = next;
    if (next == INT64_MAX) return;
    int64_t delay = std::max<int64_t>(0, next - env->clock()->NowMs());
    tick_timer = loop.RunAfter(delay, [this] {
      tick_timer = 0;
      tick_at = INT64_MAX;
      broker->Tick();
      ScheduleTick();
    });
  }

  void OnRequest(http::Request request, http::Responder respond,
                 std::function<void(std::function<void()>)> set_on_cancel) override {
    api::ApiRequest call{std::move(request.method), std::move(request.host),
                         std::move(request.path), std::move(request.query),
                         std::move(request.body)};
    std::function<void()> cancel = api->Handle(call, [respond](std::string json) {
      http::Response response;
      response.body = std::move(json);
      respond(std::move(response));
    });
    if (cancel) set_on_cancel(std::move(cancel));
    ScheduleTick();
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
