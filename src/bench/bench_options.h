// cmq-bench command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/signing.h"

namespace cmq::bench {

enum class Mode { kProduce, kConsume, kBoth, kLongPoll, kPublish, kPush, kScrape };

// Upper bound of --queue-subscriptions and --http-subscriptions (the legacy per-topic
// quota; each one also costs the bench a 512 KiB sequence tracker).
constexpr int kMaxSubscriptions = 100;

// Whether `mode` publishes to a topic (publish, push) rather than using one queue.
inline bool IsTopicMode(Mode mode) { return mode == Mode::kPublish || mode == Mode::kPush; }

struct BenchOptions {
  std::string endpoint;
  std::string secret_id;
  std::string secret_key;
  SignatureMethod signature_method = SignatureMethod::kHmacSHA256;
  std::string http_method = "POST";
  int64_t timeout_ms = 10000;  // connect and read timeout of ordinary calls

  std::string queue = "cmq-bench";
  bool create_queue = false;
  bool delete_queue = false;
  // CreateQueue attributes; -1 = not sent (server default).
  int64_t max_msg_heap_num = -1;
  int64_t visibility_timeout = -1;
  int64_t max_msg_size = -1;
  int64_t msg_retention_seconds = -1;

  Mode mode = Mode::kBoth;
  int producers = 1;
  int consumers = 1;
  int batch = 1;
  size_t size = 256;
  int64_t count = 0;          // total messages; 0 = not set
  double duration_s = 0;      // 0 = not set
  double rate = 0;            // total msgs/s over all producers; 0 = as fast as possible
  int wait_s = 1;             // pollingWaitSeconds of receives
  double drain_timeout_s = 10;
  bool verify = true;
  bool json = false;
  int64_t max_errors = 1000;

  // Topic modes (publish, push).
  std::string topic = "cmq-bench-topic";
  bool create_topic = false;
  bool delete_topic = false;
  int filter_type = 0;           // CreateTopic filterType; 0 = not sent (server default 1)
  int queue_subscriptions = 1;   // publish: queues <topic>-q1..N subscribed to the topic
  int http_subscriptions = 1;    // push: subscriptions pointing at the local sink
  int receive_batch = 16;        // publish: numOfMsg of the consumers' receives
  std::string tag;               // msgTag.1 of publishes and filterTag.1 of subscriptions
  std::optional<std::string> routing_key;  // routingKey of publishes
  std::string binding_key;       // bindingKey.1 of subscriptions
  std::string push_format = "SIMPLIFIED";  // notifyContentFormat of HTTP subscriptions

  int parked = 1000;          // longpoll mode
  int64_t server_pid = 0;     // read VmRSS of this process (longpoll mode), 0 = no

  // Scrape mode: queues <queue>-<i> to create (one message each), then GETs of
  // admin_path on the admin listener.
  int queues = 10000;
  int scrapes = 20;
  std::string admin = "http://127.0.0.1:8081";
  std::string admin_path = "/metrics";
};

const char* ModeName(Mode mode);
std::string HelpText();

// Parses argv (with CMQ_ENDPOINT, CMQ_SECRET_ID, CMQ_SECRET_KEY from the environment as
// defaults). On error returns nullopt and sets `error`; `--help` sets `*help`.
std::optional<BenchOptions> ParseBenchOptions(int argc, char** argv, bool* help,
                                              std::string* error);

}  // namespace cmq::bench
