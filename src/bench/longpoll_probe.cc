#include "bench/longpoll_probe.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_message.h"
#include "bench/bench_setup.h"
#include "bench/latency_histogram.h"
#include "common/http_response_parser.h"
#include "common/json.h"

namespace cmq::bench {
namespace {

using client::Caller;
using client::ClientResult;

constexpr int64_t kNsPerMs = 1000000;
constexpr int kMaxConnecting = 256;  // connects in flight, to stay under listen backlogs
constexpr int64_t kSlackMs = 1000;   // answers must come within wait + this
constexpr int64_t kGraceMs = 3000;   // then we give up waiting after this much more

enum class ProbeState { kIdle, kConnecting, kSending, kWaiting, kDone };

struct Probe {
  int fd = -1;
  ProbeState state = ProbeState::kIdle;
  int64_t started_ns = 0;  // connect started
  int64_t sent_ns = 0;     // request fully written
  std::string out;
  size_t out_off = 0;
  HttpResponseParser parser;
};

// VmRSS of `pid` in KiB, -1 if unreadable.
int64_t ReadRssKiB(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

bool RaiseFdLimit(size_t need) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= need) return true;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? need : std::min<rlim_t>(lim.rlim_max, need);
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  return lim.rlim_cur >= need;
}

class LongPollProbe {
 public:
  explicit LongPollProbe(const BenchOptions& options) : opt_(options), probes_(options.parked) {}
  int Run();

 private:
  void Finish(size_t i, const std::string& outcome);
  void Launch(size_t i);
  void OnEvent(size_t i, uint32_t events);
  void TrySend(size_t i);
  void TryRead(size_t i);
  void CheckDeadlines(int64_t now);

  const BenchOptions& opt_;
  std::vector<Probe> probes_;
  std::optional<Caller> caller_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int epfd_ = -1;
  size_t next_launch_ = 0;
  int connecting_ = 0;
  int sending_ = 0;
  size_t unfinished_ = 0;
  size_t sent_ = 0;
  size_t parked_now_ = 0;
  size_t parked_max_ = 0;
  size_t on_time_ = 0;
  std::map<std::string, uint64_t> outcomes_;  // everything but an on-time 7000
  LatencyHistogram answer_time_;
};

void LongPollProbe::Finish(size_t i, const std::string& outcome) {
  Probe& p = probes_[i];
  if (p.state == ProbeState::kWaiting) --parked_now_;
  if (p.state == ProbeState::kConnecting) --connecting_;
  if (p.state == ProbeState::kSending) --sending_;
  if (p.fd >= 0) ::close(p.fd);  // also removes it from the epoll set
  p.fd = -1;
  p.state = ProbeState::kDone;
  p.out = std::string();
  p.parser = HttpResponseParser();
  --unfinished_;
  if (outcome.empty()) {
    ++on_time_;
  } else {
    ++outcomes_[outcome];
  }
}

void LongPollProbe::Launch(size_t i) {
  Probe& p = probes_[i];
  p.started_ns = SteadyNowNs();
  p.fd = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p.fd < 0) {
    Finish(i, std::string("socket: ") + strerror(errno));
    return;
  }
  int one = 1;
  ::setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  p.state = ProbeState::kConnecting;
  ++connecting_;
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = i;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, p.fd, &ev);
  if (::connect(p.fd, reinterpret_cast<sockaddr*>(&addr_), addr_len_) != 0 &&
      errno != EINPROGRESS) {
    Finish(i, std::string("connect: ") + strerror(errno));
  }
}

void LongPollProbe::TrySend(size_t i) {
  Probe& p = probes_[i];
  while (p.out_off < p.out.size()) {
    ssize_t n = ::send(p.fd, p.out.data() + p.out_off, p.out.size() - p.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      p.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT again
    Finish(i, std::string("send: ") + strerror(errno));
    return;
  }
  --sending_;
  p.state = ProbeState::kWaiting;
  p.sent_ns = SteadyNowNs();
  p.out = std::string();
  ++sent_;
  ++parked_now_;
  parked_max_ = std::max(parked_max_, parked_now_);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = i;
  ::epoll_ctl(epfd_, EPOLL_CTL_MOD, p.fd, &ev);
}

void LongPollProbe::TryRead(size_t i) {
  Probe& p = probes_[i];
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(p.fd, buf, sizeof(buf), 0);
    HttpResponseParser::State s;
    if (n > 0) {
      s = p.parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    } else if (n == 0) {
      s = p.parser.FeedEof();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else {
      Finish(i, std::string("recv: ") + strerror(errno));
      return;
    }
    if (s == HttpResponseParser::State::kError) {
      Finish(i, p.parser.started() ? "bad http response" : "closed without answer");
      return;
    }
    if (s == HttpResponseParser::State::kDone) {
      int64_t took = SteadyNowNs() - p.sent_ns;
      answer_time_.Record(took);
      ClientResult<JsonValue> r = Caller::ParseResponse(p.parser.response());
      if (r.ok()) {
        Finish(i, "got a message (queue not empty)");
      } else if (!r.error().is_no_message()) {
        Finish(i, "answer " + ErrorKey(r.error()));
      } else if (took > (int64_t{opt_.wait_s} * 1000 + kSlackMs) * kNsPerMs) {
        Finish(i, "7000 later than wait + 1 s");
      } else {
        Finish(i, "");
      }
      return;
    }
  }
}

void LongPollProbe::OnEvent(size_t i, uint32_t events) {
  Probe& p = probes_[i];
  switch (p.state) {
    case ProbeState::kConnecting: {
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        Finish(i, std::string("connect: ") + strerror(err));
        return;
      }
      --connecting_;
      ++sending_;
      p.state = ProbeState::kSending;
      client::PreparedRequest req = caller_->Prepare(
          "ReceiveMessage",
          {{"queueName", opt_.queue}, {"pollingWaitSeconds", std::to_string(opt_.wait_s)}},
          static_cast<int64_t>(std::time(nullptr)), caller_->NextNonce());
      p.out = client::FormatRequestHead(req.http, caller_->endpoint().authority) + req.http.body;
      TrySend(i);
      return;
    }
    case ProbeState::kSending:
      TrySend(i);
      return;
    case ProbeState::kWaiting:
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) TryRead(i);
      return;
    default:
      return;
  }
}

void LongPollProbe::CheckDeadlines(int64_t now) {
  int64_t answer_limit = (int64_t{opt_.wait_s} * 1000 + kSlackMs + kGraceMs) * kNsPerMs;
  int64_t connect_limit = opt_.timeout_ms * kNsPerMs;
  for (size_t i = 0; i < next_launch_; ++i) {
    Probe& p = probes_[i];
    if (p.state == ProbeState::kWaiting && now - p.sent_ns > answer_limit) {
      Finish(i, "no answer within wait + 4 s");
    } else if ((p.state == ProbeState::kConnecting || p.state == ProbeState::kSending) &&
               now - p.started_ns > connect_limit) {
      Finish(i, "connect or send timed out");
    }
  }
}

int LongPollProbe::Run() {
  ClientResult<Caller> caller = MakeCaller(opt_);
  if (!caller.ok()) {
    std::fprintf(stderr, "cmq-bench: %s\n", caller.error().ToString().c_str());
    return 2;
  }
  caller_.emplace(std::move(caller).value());
  if (!PrepareQueue(&*caller_, opt_)) return 2;
  ClientResult<JsonValue> attrs = caller_->Call("GetQueueAttributes", {{"queueName", opt_.queue}});
  if (!attrs.ok()) {
    std::fprintf(stderr, "cmq-bench: GetQueueAttributes: %s\n", attrs.error().ToString().c_str());
    return 2;
  }
  const JsonValue* active = attrs->Find("activeMsgNum");
  if (active && active->as_int().value_or(0) > 0) {
    std::fprintf(stderr,
                 "cmq-bench: queue %s holds %lld active messages; the long-poll probe needs an "
                 "empty queue\n",
                 opt_.queue.c_str(), static_cast<long long>(*active->as_int()));
    return 2;
  }
  caller_->connection().Close();

  size_t need = static_cast<size_t>(opt_.parked) + 64;
  if (!RaiseFdLimit(need)) {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    std::fprintf(stderr,
                 "cmq-bench: need %zu file descriptors but the limit is %llu (hard %llu); "
                 "raise it (ulimit -n) or lower --parked\n",
                 need, static_cast<unsigned long long>(lim.rlim_cur),
                 static_cast<unsigned long long>(lim.rlim_max));
    return 2;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const client::Endpoint& ep = caller_->endpoint();
  if (int rc = ::getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res);
      rc != 0) {
    std::fprintf(stderr, "cmq-bench: cannot resolve %s: %s\n", ep.host.c_str(), gai_strerror(rc));
    return 2;
  }
  std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
  addr_len_ = res->ai_addrlen;
  ::freeaddrinfo(res);

  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    std::fprintf(stderr, "cmq-bench: epoll_create1: %s\n", strerror(errno));
    return 2;
  }

  int64_t rss_before = opt_.server_pid ? ReadRssKiB(opt_.server_pid) : -1;
  std::fprintf(stderr,
               "cmq-bench: parking %d ReceiveMessage calls (pollingWaitSeconds=%d) on queue %s\n",
               opt_.parked, opt_.wait_s, opt_.queue.c_str());
  unfinished_ = probes_.size();
  int64_t start_ns = SteadyNowNs();
  int64_t all_sent_ns = 0;
  int64_t rss_sample_at = 0;
  int64_t rss_parked = -1;
  size_t parked_at_sample = 0;
  std::vector<epoll_event> events(1024);
  int64_t last_scan = start_ns;
  while (unfinished_ > 0) {
    while (next_launch_ < probes_.size() && connecting_ < kMaxConnecting) Launch(next_launch_++);
    int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 50);
    for (int k = 0; k < n; ++k) OnEvent(events[k].data.u64, events[k].events);
    int64_t now = SteadyNowNs();
    if (now - last_scan > 100 * kNsPerMs) {
      CheckDeadlines(now);
      last_scan = now;
    }
    if (all_sent_ns == 0 && next_launch_ == probes_.size() && connecting_ == 0 && sending_ == 0) {
      all_sent_ns = now;
      std::fprintf(stderr,
                   "cmq-bench: %zu receives are parked on the server now (sent in %.2f s). "
                   "Measure the server's memory while they wait, e.g.\n"
                   "  grep VmRSS /proc/$(pidof cmqd)/status\n",
                   parked_now_, static_cast<double>(now - start_ns) / 1e9);
      // Sample halfway between now and the first answers (the first sends + wait).
      int64_t first_due = start_ns + int64_t{opt_.wait_s} * 1000 * kNsPerMs;
      rss_sample_at = now + std::max<int64_t>(0, (first_due - now) / 2);
    }
    if (opt_.server_pid && rss_sample_at && rss_parked < 0 && now >= rss_sample_at) {
      rss_parked = ReadRssKiB(opt_.server_pid);
      parked_at_sample = parked_now_;
    }
  }
  int64_t end_ns = SteadyNowNs();
  ::close(epfd_);
  int64_t rss_after = -1;
  if (opt_.server_pid) {
    if (rss_parked < 0) {
      rss_parked = ReadRssKiB(opt_.server_pid);
      parked_at_sample = parked_now_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it drop the sockets
    rss_after = ReadRssKiB(opt_.server_pid);
  }

  bool ok = on_time_ == probes_.size();
  if (opt_.json) {
    JsonWriter w;
    w.BeginObject();
    w.Field("mode", "longpoll");
    w.Field("queue", opt_.queue);
    w.Field("parked_requested", opt_.parked);
    w.Field("wait_s", opt_.wait_s);
    w.Key("sent").Uint(sent_);
    w.Key("parked_max").Uint(parked_max_);
    w.Key("answered_7000_in_time").Uint(on_time_);
    w.Key("other_outcomes").BeginObject();
    for (const auto& [k, v] : outcomes_) w.Key(k).Uint(v);
    w.EndObject();
    w.Key("answer_ms").BeginObject();
    w.Field("min", answer_time_.min() / kNsPerMs);
    w.Field("p50", answer_time_.Percentile(0.5) / kNsPerMs);
    w.Field("max", answer_time_.max() / kNsPerMs);
    w.EndObject();
    w.Field("elapsed_ms", (end_ns - start_ns) / kNsPerMs);
    if (opt_.server_pid) {
      w.Key("server_rss_kib").BeginObject();
      w.Field("before", rss_before);
      w.Field("parked", rss_parked);
      w.Key("parked_at_sample").Uint(parked_at_sample);
      w.Field("after", rss_after);
      w.EndObject();
    }
    w.Field("ok", ok);
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
  } else {
    std::printf("longpoll   queue %s  wait %d s  requested %d  sent %zu  parked at once (max) %zu\n",
                opt_.queue.c_str(), opt_.wait_s, opt_.parked, sent_, parked_max_);
    std::printf("answers    %zu x 7000 within wait + 1 s; answer time ms: min %lld  p50 %lld  "
                "max %lld\n",
                on_time_, static_cast<long long>(answer_time_.min() / kNsPerMs),
                static_cast<long long>(answer_time_.Percentile(0.5) / kNsPerMs),
                static_cast<long long>(answer_time_.max() / kNsPerMs));
    for (const auto& [k, v] : outcomes_) {
      std::printf("           %llu x %s\n", static_cast<unsigned long long>(v), k.c_str());
    }
    if (opt_.server_pid) {
      std::printf("server RSS KiB: before %lld, with %zu parked %lld, after %lld",
                  static_cast<long long>(rss_before), parked_at_sample,
                  static_cast<long long>(rss_parked), static_cast<long long>(rss_after));
      if (rss_before >= 0 && rss_parked >= 0 && parked_at_sample > 0) {
        std::printf("  (~%lld bytes per parked request)",
                    static_cast<long long>((rss_parked - rss_before) * 1024 /
                                           static_cast<int64_t>(parked_at_sample)));
      }
      std::printf("\n");
    }
    std::printf("result     %s\n", ok ? "OK" : "FAILED");
  }
  CleanupQueue(&*caller_, opt_);
  return ok ? 0 : 1;
}

}  // namespace

int RunLongPollProbe(const BenchOptions& options) { return LongPollProbe(options).Run(); }

}  // namespace cmq::bench
