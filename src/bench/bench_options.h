// cmq-bench command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/signing.h"

namespace cmq::bench {

enum class Mode { kProduce, kConsume, kBoth, kLongPoll };

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

  int parked = 1000;          // longpoll mode
  int64_t server_pid = 0;     // read VmRSS of this process (longpoll mode), 0 = no
};

const char* ModeName(Mode mode);
std::string HelpText();

// Parses argv (with CMQ_ENDPOINT, CMQ_SECRET_ID, CMQ_SECRET_KEY from the environment as
// defaults). On error returns nullopt and sets `error`; `--help` sets `*help`.
std::optional<BenchOptions> ParseBenchOptions(int argc, char** argv, bool* help,
                                              std::string* error);

}  // namespace cmq::bench
