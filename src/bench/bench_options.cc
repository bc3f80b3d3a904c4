#include "bench/bench_options.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>

#include "bench/bench_message.h"
#include "common/strings.h"

namespace cmq::bench {
namespace {

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !(v >= 0) || v > 1e15) return std::nullopt;
  return v;
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kProduce: return "produce";
    case Mode::kConsume: return "consume";
    case Mode::kBoth: return "both";
    case Mode::kLongPoll: return "longpoll";
    case Mode::kPublish: return "publish";
    case Mode::kPush: return "push";
    case Mode::kScrape: return "scrape";
  }
  return "?";
}

std::string HelpText() {
  return R"(cmq-bench: load generator for a CMQ HTTP API server (cmqd or compatible).

Each producer and consumer is one thread with its own keep-alive connection and
signed requests. Every message body carries a run id, a sequence number and its send
time, so receivers measure send-to-receive latency and the run can check that every
message sent was received.

Usage:
  cmq-bench [options]
  cmq-bench --version      the version, the git revision and the build type

Connection:
  --endpoint URL           http://host[:port][/path]   (env CMQ_ENDPOINT,
                           default http://127.0.0.1:8080)
  --secret-id ID           (env CMQ_SECRET_ID)  required
  --secret-key KEY         (env CMQ_SECRET_KEY) required
  --signature-method M     sha256 (default) or sha1
  --http-method M          POST (default) or GET
  --timeout-ms MS          connect and read timeout of ordinary calls (10000);
                           receives add their wait to it

Queue (modes both, produce, consume, longpoll; in mode publish the attributes
apply to the subscription queues it creates):
  --queue NAME             queue to use (default cmq-bench)
  --create-queue           create it first (an existing queue is used as is)
  --delete-queue           delete it at the end
  --max-msg-heap-num N     CreateQueue attributes, sent only when given
  --visibility-timeout S
  --max-msg-size BYTES     (default with --create-queue/--create-topic: enough for
                           --size; also CreateTopic's maxMsgSize)
  --msg-retention S

Load:
  --mode MODE              both (default): producers and consumers on one queue;
                           produce: only send (fill a backlog);
                           consume: only receive and delete (drain a backlog);
                           longpoll: park --parked receives on an empty queue;
                           publish: publish to a topic, consume its queue
                           subscriptions;
                           push: publish to a topic whose HTTP subscriptions push
                           to a sink inside cmq-bench;
                           scrape: many queues, then timed GETs of the admin
                           listener's /metrics
  --producers N            producer (publisher) threads (default 1)
  --consumers N            consumer threads (default 1; mode publish: one per
                           subscription queue)
  --batch N                1..16 (default 1): 1 uses SendMessage/ReceiveMessage/
                           DeleteMessage (PublishMessage), more uses the Batch*
                           actions with N
  --size BYTES             message body size (default 256, minimum 47)
  --count N                total messages to send (produce, both, publish, push)
                           or to receive (consume)
  --duration S             send for S seconds instead (consume: receive for S s)
                           Without --count or --duration: --count 10000, and
                           consume mode runs until the queue stays empty.
  --rate N                 total msgs/s over all producers, paced evenly (default:
                           as fast as possible); use it for latency at a fixed load
  --wait S                 pollingWaitSeconds of receives, 0..30 (default 1)
  --drain-timeout S        receivers stop once nothing arrived for S seconds after
                           the producers finished (consume mode: since start)
                           (default 10)
  --verify / --no-verify   check that every message sent was received at least once
                           (in modes publish and push: on every subscription) and
                           report duplicates (default on in modes both, publish and
                           push; exit 1 when any is missing)
  --max-errors N           abort when this many calls failed (default 1000)
  --json                   print the report as one JSON object

Topic (--mode publish and --mode push):
  --topic NAME             topic to publish to (default cmq-bench-topic)
  --create-topic           create it first (an existing topic is used as is), and
                           in mode publish also the queues <topic>-q1..N and their
                           subscriptions <topic>-q1..N (existing ones are kept)
  --delete-topic           at the end unsubscribe, delete the topic and (mode
                           publish) the queues <topic>-q1..N
  --filter-type 1|2        CreateTopic filterType: 1 tags (server default), 2
                           routing keys
  --queue-subscriptions N  mode publish: subscription queues (default 1); without
                           --create-topic they must exist and be subscribed
  --receive-batch N        mode publish: numOfMsg of the consumers' batch receives,
                           1..16 (default 16)
  --http-subscriptions N   mode push: HTTP subscriptions <topic>-h1..N (default 1),
                           each pointing at its own path of the sink; created at the
                           start (replacing leftovers of that name) and always
                           unsubscribed at the end, since the sink dies with the run
  --format F               mode push: notifyContentFormat, SIMPLIFIED (default) or
                           JSON
  --tag T                  msgTag of every publish and filterTag of the subscriptions
                           cmq-bench creates
  --routing-key K          routingKey of every publish (default on a filterType 2
                           topic: cmq.bench)
  --binding-key K          bindingKey of the subscriptions cmq-bench creates (default
                           on a filterType 2 topic: #)
  Verification assumes every subscription accepts every message. In mode push
  the sink listens on 127.0.0.1 (a free port), so cmqd must run on this host and
  allow pushes to loopback (cmqd --push-allow-networks 127.0.0.0/8); it
  answers 200 at once on keep-alive connections and reads the sequence number
  and send time from the SIMPLIFIED body or the JSON body's msgBody.

Long-poll probe (--mode longpoll):
  --parked N               receives to park at once, one connection each (default
                           1000; 10000 is fine, the fd limit is raised as needed)
  --wait S                 their pollingWaitSeconds (use >= 2)
  --server-pid PID         read the server's VmRSS from /proc before, while parked
                           and after (same host only); otherwise measure it yourself
                           when the probe says the receives are parked
  Each receive must be answered with code 7000 no later than wait + 1 s.

Admin scrape probe (--mode scrape):
  --queues N               queues <queue>-1..N to create first (default 10000; an
                           existing one is used), one message sent to each, by
                           --producers threads; --delete-queue deletes them after
  --admin URL              cmqd's admin listener (default http://127.0.0.1:8081)
  --admin-path PATH        what to GET (default /metrics)
  --scrapes N              GETs, one after another on one connection (default 20)
  Reports each answer's time (p50/p99/max) and size, and the number of per-queue
  series (cmq_queue_messages_sent_total) in the last /metrics answer. cmqd must
  allow the queues (max_queues_per_account) and, to give each its own series,
  metrics_max_queues.

Report: messages and requests per second per role, send-to-receive (publish-to-
receive, publish-to-push) latency p50/p99/p99.9/max, errors by CMQ code, and the
verification result (per subscription in the topic modes).
Exit status: 0 ok, 1 verification or probe failed (messages missing, or every
publish refused), 2 usage or setup error or aborted after --max-errors.

Examples:
  cmq-bench --create-queue --producers 4 --consumers 4 --count 200000
  cmq-bench --create-queue --batch 16 --size 1024 --duration 30
  cmq-bench --rate 2000 --duration 60          # latency at 2000 msgs/s
  cmq-bench --mode produce --count 1000000 ; cmq-bench --mode consume --consumers 8
  cmq-bench --mode longpoll --create-queue --queue idle --parked 10000 --wait 10
  cmq-bench --mode scrape --queue many --queues 10000 --producers 8 --delete-queue
  cmq-bench --mode publish --topic t --create-topic --queue-subscriptions 3 \
            --producers 4 --consumers 3 --batch 16 --size 1024 --count 300000 \
            --delete-topic
  cmq-bench --mode push --topic p --create-topic --http-subscriptions 1 \
            --producers 2 --batch 16 --count 100000 --delete-topic
  cmq-bench --mode publish --topic l --create-topic --queue-subscriptions 1 \
            --rate 2000 --duration 30 --consumers 2 --delete-topic
  cmq-bench --mode publish --topic r --create-topic --filter-type 2 \
            --binding-key 'order.*' --routing-key order.new --queue-subscriptions 2
)";
}

std::optional<BenchOptions> ParseBenchOptions(int argc, char** argv, bool* help,
                                              std::string* error) {
  BenchOptions o;
  *help = false;
  if (const char* e = std::getenv("CMQ_ENDPOINT")) o.endpoint = e;
  if (const char* e = std::getenv("CMQ_SECRET_ID")) o.secret_id = e;
  if (const char* e = std::getenv("CMQ_SECRET_KEY")) o.secret_key = e;
  if (o.endpoint.empty()) o.endpoint = "http://127.0.0.1:8080";
  bool verify_set = false;
  bool consumers_set = false;

  auto int_in = [error](std::string_view name, std::string_view v, int64_t lo, int64_t hi,
                        int64_t* out) {
    std::optional<int64_t> n = ParseInt64(v);
    if (!n || *n < lo || *n > hi) {
      *error = "--" + std::string(name) + " must be an integer from " + std::to_string(lo) +
               " to " + std::to_string(hi) + ", not \"" + std::string(v) + "\"";
      return false;
    }
    *out = *n;
    return true;
  };
  auto num = [error](std::string_view name, std::string_view v, double* out) {
    std::optional<double> d = ParseDouble(v);
    if (!d) {
      *error = "--" + std::string(name) + " must be a non-negative number, not \"" +
               std::string(v) + "\"";
      return false;
    }
    *out = *d;
    return true;
  };

  using Setter = std::function<bool(std::string_view)>;
  int64_t tmp = 0;
  const std::map<std::string, Setter, std::less<>> with_value = {
      {"endpoint", [&](std::string_view v) { o.endpoint = v; return true; }},
      {"secret-id", [&](std::string_view v) { o.secret_id = v; return true; }},
      {"secret-key", [&](std::string_view v) { o.secret_key = v; return true; }},
      {"signature-method",
       [&](std::string_view v) {
         if (EqualsIgnoreCase(v, "sha256") || EqualsIgnoreCase(v, "HmacSHA256")) {
           o.signature_method = SignatureMethod::kHmacSHA256;
         } else if (EqualsIgnoreCase(v, "sha1") || EqualsIgnoreCase(v, "HmacSHA1")) {
           o.signature_method = SignatureMethod::kHmacSHA1;
         } else {
           *error = "--signature-method must be sha256 or sha1";
           return false;
         }
         return true;
       }},
      {"http-method",
       [&](std::string_view v) {
         if (EqualsIgnoreCase(v, "POST")) {
           o.http_method = "POST";
         } else if (EqualsIgnoreCase(v, "GET")) {
           o.http_method = "GET";
         } else {
           *error = "--http-method must be POST or GET";
           return false;
         }
         return true;
       }},
      {"timeout-ms",
       [&](std::string_view v) { return int_in("timeout-ms", v, 1, 3600000, &o.timeout_ms); }},
      {"queue", [&](std::string_view v) { o.queue = v; return !o.queue.empty(); }},
      {"max-msg-heap-num",
       [&](std::string_view v) {
         return int_in("max-msg-heap-num", v, 1, 4000000000, &o.max_msg_heap_num);
       }},
      {"visibility-timeout",
       [&](std::string_view v) {
         return int_in("visibility-timeout", v, 1, 43200, &o.visibility_timeout);
       }},
      {"max-msg-size",
       [&](std::string_view v) { return int_in("max-msg-size", v, 1, 1 << 20, &o.max_msg_size); }},
      {"msg-retention",
       [&](std::string_view v) {
         return int_in("msg-retention", v, 1, 1296000, &o.msg_retention_seconds);
       }},
      {"mode",
       [&](std::string_view v) {
         if (v == "produce") {
           o.mode = Mode::kProduce;
         } else if (v == "consume") {
           o.mode = Mode::kConsume;
         } else if (v == "both") {
           o.mode = Mode::kBoth;
         } else if (v == "longpoll") {
           o.mode = Mode::kLongPoll;
         } else if (v == "publish") {
           o.mode = Mode::kPublish;
         } else if (v == "push") {
           o.mode = Mode::kPush;
         } else if (v == "scrape") {
           o.mode = Mode::kScrape;
         } else {
           *error = "--mode must be produce, consume, both, longpoll, publish, push or scrape";
           return false;
         }
         return true;
       }},
      {"producers",
       [&](std::string_view v) {
         bool ok = int_in("producers", v, 1, 4096, &tmp);
         o.producers = static_cast<int>(tmp);
         return ok;
       }},
      {"consumers",
       [&](std::string_view v) {
         bool ok = int_in("consumers", v, 1, 4096, &tmp);
         o.consumers = static_cast<int>(tmp);
         consumers_set = true;
         return ok;
       }},
      {"batch",
       [&](std::string_view v) {
         bool ok = int_in("batch", v, 1, 16, &tmp);
         o.batch = static_cast<int>(tmp);
         return ok;
       }},
      {"size",
       [&](std::string_view v) {
         bool ok = int_in("size", v, kMessageHeaderSize, 1 << 20, &tmp);
         o.size = static_cast<size_t>(tmp);
         return ok;
       }},
      {"count", [&](std::string_view v) { return int_in("count", v, 1, int64_t{1} << 36, &o.count); }},
      {"duration", [&](std::string_view v) { return num("duration", v, &o.duration_s); }},
      {"rate", [&](std::string_view v) { return num("rate", v, &o.rate); }},
      {"wait",
       [&](std::string_view v) {
         bool ok = int_in("wait", v, 0, 30, &tmp);
         o.wait_s = static_cast<int>(tmp);
         return ok;
       }},
      {"drain-timeout", [&](std::string_view v) { return num("drain-timeout", v, &o.drain_timeout_s); }},
      {"max-errors", [&](std::string_view v) { return int_in("max-errors", v, 1, int64_t{1} << 40, &o.max_errors); }},
      {"topic", [&](std::string_view v) { o.topic = v; return !o.topic.empty(); }},
      {"filter-type",
       [&](std::string_view v) {
         bool ok = int_in("filter-type", v, 1, 2, &tmp);
         o.filter_type = static_cast<int>(tmp);
         return ok;
       }},
      {"queue-subscriptions",
       [&](std::string_view v) {
         bool ok = int_in("queue-subscriptions", v, 1, kMaxSubscriptions, &tmp);
         o.queue_subscriptions = static_cast<int>(tmp);
         return ok;
       }},
      {"http-subscriptions",
       [&](std::string_view v) {
         bool ok = int_in("http-subscriptions", v, 1, kMaxSubscriptions, &tmp);
         o.http_subscriptions = static_cast<int>(tmp);
         return ok;
       }},
      {"receive-batch",
       [&](std::string_view v) {
         bool ok = int_in("receive-batch", v, 1, 16, &tmp);
         o.receive_batch = static_cast<int>(tmp);
         return ok;
       }},
      {"format",
       [&](std::string_view v) {
         if (EqualsIgnoreCase(v, "SIMPLIFIED")) {
           o.push_format = "SIMPLIFIED";
         } else if (EqualsIgnoreCase(v, "JSON")) {
           o.push_format = "JSON";
         } else {
           *error = "--format must be SIMPLIFIED or JSON";
           return false;
         }
         return true;
       }},
      {"tag", [&](std::string_view v) { o.tag = v; return !o.tag.empty(); }},
      {"routing-key", [&](std::string_view v) { o.routing_key = std::string(v); return true; }},
      {"binding-key", [&](std::string_view v) { o.binding_key = v; return !o.binding_key.empty(); }},
      {"parked",
       [&](std::string_view v) {
         bool ok = int_in("parked", v, 1, 1000000, &tmp);
         o.parked = static_cast<int>(tmp);
         return ok;
       }},
      {"server-pid", [&](std::string_view v) { return int_in("server-pid", v, 1, 1 << 30, &o.server_pid); }},
      {"queues",
       [&](std::string_view v) {
         bool ok = int_in("queues", v, 1, 1000000, &tmp);
         o.queues = static_cast<int>(tmp);
         return ok;
       }},
      {"scrapes",
       [&](std::string_view v) {
         bool ok = int_in("scrapes", v, 1, 1000000, &tmp);
         o.scrapes = static_cast<int>(tmp);
         return ok;
       }},
      {"admin", [&](std::string_view v) { o.admin = std::string(v); return true; }},
      {"admin-path",
       [&](std::string_view v) {
         if (v.empty() || v[0] != '/') {
           *error = "--admin-path must start with /";
           return false;
         }
         o.admin_path = std::string(v);
         return true;
       }},
  };
  const std::map<std::string, std::function<void()>, std::less<>> flags = {
      {"create-queue", [&] { o.create_queue = true; }},
      {"create-topic", [&] { o.create_topic = true; }},
      {"delete-topic", [&] { o.delete_topic = true; }},
      {"delete-queue", [&] { o.delete_queue = true; }},
      {"verify", [&] { o.verify = true; verify_set = true; }},
      {"no-verify", [&] { o.verify = false; verify_set = true; }},
      {"json", [&] { o.json = true; }},
  };

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return std::nullopt;
    }
    if (arg.substr(0, 2) != "--") {
      *error = "unexpected argument \"" + std::string(arg) + "\" (see --help)";
      return std::nullopt;
    }
    arg.remove_prefix(2);
    std::optional<std::string_view> inline_value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (auto f = flags.find(arg); f != flags.end()) {
      if (inline_value) {
        *error = "--" + std::string(arg) + " takes no value";
        return std::nullopt;
      }
      f->second();
      continue;
    }
    auto s = with_value.find(arg);
    if (s == with_value.end()) {
      *error = "unknown option --" + std::string(arg) + " (see --help)";
      return std::nullopt;
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "--" + std::string(arg) + " needs a value";
      return std::nullopt;
    }
    if (!s->second(value)) {
      if (error->empty()) *error = "bad value for --" + std::string(arg);
      return std::nullopt;
    }
  }

  if (o.secret_id.empty() || o.secret_key.empty()) {
    *error = "--secret-id and --secret-key (or CMQ_SECRET_ID and CMQ_SECRET_KEY) are required";
    return std::nullopt;
  }
  if (o.count > 0 && o.duration_s > 0) {
    *error = "give --count or --duration, not both";
    return std::nullopt;
  }
  if (o.mode != Mode::kConsume && o.count == 0 && o.duration_s == 0) o.count = 10000;
  const bool topic_mode = IsTopicMode(o.mode);
  if (!verify_set) o.verify = o.mode == Mode::kBoth || topic_mode;
  if (o.verify && o.mode != Mode::kBoth && !topic_mode) {
    *error = "--verify needs --mode both, publish or push (a single run must see both sides)";
    return std::nullopt;
  }
  if (topic_mode && (o.create_queue || o.delete_queue)) {
    *error = "--create-queue and --delete-queue are for the queue modes; in mode " +
             std::string(ModeName(o.mode)) + " use --create-topic and --delete-topic";
    return std::nullopt;
  }
  if (o.mode == Mode::kPublish && !consumers_set) o.consumers = o.queue_subscriptions;
  if (o.mode == Mode::kLongPoll && o.wait_s < 1) {
    *error = "--mode longpoll needs --wait of at least 1 second";
    return std::nullopt;
  }
  return o;
}

}  // namespace cmq::bench
