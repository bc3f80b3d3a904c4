// AccessLog: one line per answered request (`access_log`), in the process log's
// format (`log_format`, common/log.h):
//
//   2026-12-07T08:21:50.123Z client=10.0.0.7:51234 action=SendMessage queue=orders
//       code=0 durationUs=812 requestId=1765095710123000      (one line)
//   {"time":"...","client":"10.0.0.7:51234","action":"SendMessage","queue":"orders",
//    "code":0,"durationUs":812,"requestId":"1765095710123000"}
//
// `queue` and `topic` appear when the request named one; `forwardedTo` names the node
// that ran a request this node forwarded (docs/architecture.md, "Any node serves any
// request": the node the client talked to writes the line, the owner none); `via=console`
// marks the web console's calls and logins (POST /console/api, action ConsoleLogin),
// whose client is the browser's address.
//
// The event loop never waits for the disk: Write formats the line and appends it to a
// buffer in memory; a thread of its own writes the buffer out once it holds
// `flush_bytes`, and at least every `flush_interval_ms`. A disk too slow for the
// request rate cannot grow the buffer past `max_backlog_bytes`: further lines are
// dropped and counted, and the process log says how many. The file is opened for
// appending (logrotate's copytruncate works too); Reopen, on SIGHUP, writes out what
// is buffered to the old file and opens the path again (logrotate's rename-and-signal).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "common/log.h"
#include "common/status.h"
#include "env/env.h"

namespace cmq::server {

struct AccessLogOptions {
  std::string path;  // a file, or "-" for standard output
  LogFormat format = LogFormat::kText;
  size_t flush_bytes = 64 << 10;
  int64_t flush_interval_ms = 1000;
  size_t max_backlog_bytes = 16 << 20;
};

// One answered request.
struct AccessEntry {
  int64_t unix_ms = 0;            // when it was answered
  std::string_view client;        // "ip:port" (IPv6: "[ip]:port")
  api::AnswerSummary answer;      // action, queue, topic, code, requestId
  int64_t duration_us = 0;        // from its arrival to its answer
  std::string_view forwarded_to;  // the node that ran it, "" when this one did
  std::string_view via;           // "" for the API port, kViaConsole for the web console
};

inline constexpr std::string_view kViaConsole = "console";

// The entry's fields, as the access log writes them (also the debug line per request).
std::vector<LogField> AccessFields(const AccessEntry& entry);

class AccessLog {
 public:
  // Opens (creates) the file for appending and starts the writer thread on `env`.
  // Errors name the path.
  static Result<std::unique_ptr<AccessLog>> Open(env::Env* env, AccessLogOptions options);
  // Writes out every line written before, then closes the file.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(const AccessEntry& entry);
  // Lines written from now on go to a file opened anew at the path; those before, to
  // the file open until now. Returns at once; a path that cannot be opened keeps the
  // old file (logged). No-op for standard output.
  void Reopen();
  // Waits until every line written before is written out (or dropped), and a Reopen
  // asked for before is done. For tests and shutdown.
  void Flush();

 private:
  AccessLog(AccessLogOptions options, int fd);
  void Run();
  // Writes `data` to the file; on failure the lines are lost and logged.
  void WriteOut(const std::string& data, uint64_t lines);
  void ReopenNow();

  const AccessLogOptions options_;
  int fd_;  // the writer thread's, once started
  std::mutex mu_;
  std::condition_variable wake_;  // the writer: work to do
  std::condition_variable done_;  // Flush: a round ended
  std::string buffer_;            // lines not yet handed to the writer
  uint64_t buffered_lines_ = 0;
  uint64_t dropped_lines_ = 0;  // since the last report
  bool reopen_ = false;
  bool stop_ = false;
  uint64_t flush_asked_ = 0;  // rounds asked for by Flush
  uint64_t rounds_done_ = 0;
  std::unique_ptr<env::Env::Thread> thread_;
};

// What the owner of a forwarded request tells the node that forwarded it (and writes
// the access line) about its answer, in the `X-Cmq-Answer` response header: the
// summary as a form (action, queue, topic, code, requestId). The forwarding node
// takes the header off before answering its client.
inline constexpr const char* kAnswerSummaryHeader = "x-cmq-answer";
std::string EncodeAnswerSummary(const api::AnswerSummary& summary);

// A decoded X-Cmq-Answer: owns the strings that `summary` points into.
struct ForwardedAnswer {
  std::string action, queue, topic, request_id;
  int code = 0;
  api::AnswerSummary summary() const;
};
// An unreadable header gives an empty summary with code -1 (the line is still written).
ForwardedAnswer DecodeAnswerSummary(std::string_view header);

}  // namespace cmq::server
