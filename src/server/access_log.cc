#include "server/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "common/form.h"
#include "common/strings.h"

namespace cmq::server {
namespace {

bool IsStandardOutput(const std::string& path) { return path == "-"; }

Result<int> OpenForAppend(const std::string& path) {
  if (IsStandardOutput(path)) return STDOUT_FILENO;
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status(ErrorCode::kIoError,
                  "cannot open the access log " + path + ": " + strerror(errno));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::Open(env::Env* env, AccessLogOptions options) {
  Result<int> fd = OpenForAppend(options.path);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<AccessLog> log(new AccessLog(std::move(options), *fd));
  AccessLog* raw = log.get();
  log->thread_ = env->StartThread("cmq-access-log", [raw] { raw->Run(); });
  return log;
}

AccessLog::AccessLog(AccessLogOptions options, int fd) : options_(std::move(options)), fd_(fd) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_) thread_->Join();
  if (!IsStandardOutput(options_.path)) close(fd_);
}

std::vector<LogField> AccessFields(const AccessEntry& entry) {
  const api::AnswerSummary& a = entry.answer;
  std::vector<LogField> fields;
  fields.reserve(9);
  fields.emplace_back("client", entry.client);
  fields.emplace_back("action", a.action);
  if (!a.queue.empty()) fields.emplace_back("queue", a.queue);
  if (!a.topic.empty()) fields.emplace_back("topic", a.topic);
  fields.emplace_back("code", a.code);
  fields.emplace_back("durationUs", entry.duration_us);
  fields.emplace_back("requestId", a.request_id);
  if (!entry.forwarded_to.empty()) fields.emplace_back("forwardedTo", entry.forwarded_to);
  if (!entry.via.empty()) fields.emplace_back("via", entry.via);
  return fields;
}

void AccessLog::Write(const AccessEntry& entry) {
  std::string line =
      FormatLogLine(options_.format, entry.unix_ms, std::nullopt, "", AccessFields(entry));

  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (buffer_.size() + line.size() > options_.max_backlog_bytes) {
      ++dropped_lines_;
      return;
    }
    size_t before = buffer_.size();
    buffer_ += line;
    ++buffered_lines_;
    // Only the write that crosses the threshold wakes the writer.
    wake = before < options_.flush_bytes && buffer_.size() >= options_.flush_bytes;
  }
  if (wake) wake_.notify_one();
}

void AccessLog::Reopen() {
  if (IsStandardOutput(options_.path)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reopen_ = true;
  }
  wake_.notify_one();
}

void AccessLog::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t round = ++flush_asked_;
  wake_.notify_one();
  done_.wait(lock, [&] { return rounds_done_ >= round || stop_; });
}

void AccessLog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms), [&] {
      return stop_ || reopen_ || flush_asked_ > rounds_done_ ||
             buffer_.size() >= options_.flush_bytes;
    });
    std::string data;
    data.swap(buffer_);
    uint64_t lines = buffered_lines_;
    buffered_lines_ = 0;
    uint64_t dropped = dropped_lines_;
    dropped_lines_ = 0;
    bool reopen = reopen_;
    reopen_ = false;
    uint64_t asked = flush_asked_;
    bool stop = stop_;
    lock.unlock();

    if (!data.empty()) WriteOut(data, lines);
    if (dropped != 0) {
      CMQ_LOG_WARN("access log: %llu lines dropped: the disk did not keep up (%zu bytes waiting)",
                   static_cast<unsigned long long>(dropped), options_.max_backlog_bytes);
    }
    if (reopen) ReopenNow();

    lock.lock();
    rounds_done_ = asked;
    done_.notify_all();
    if (stop && buffer_.empty()) return;
  }
}

void AccessLog::WriteOut(const std::string& data, uint64_t lines) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Rate-limited: a full disk fails every round.
      static LogRateLimit limit(60000);
      LogRateLimited(limit, LogLevel::kError,
                     "access log: write to %s failed: %s (%llu lines lost)", options_.path.c_str(),
                     n < 0 ? strerror(errno) : "no progress",
                     static_cast<unsigned long long>(lines));
      return;
    }
    done += static_cast<size_t>(n);
  }
}

void AccessLog::ReopenNow() {
  Result<int> fd = OpenForAppend(options_.path);
  if (!fd.ok()) {
    CMQ_LOG_ERROR("access log: %s; still writing to the file open before",
                  fd.status().detail().c_str());
    return;
  }
  close(fd_);
  fd_ = *fd;
  CMQ_LOG_INFO("access log: reopened %s", options_.path.c_str());
}

std::string EncodeAnswerSummary(const api::AnswerSummary& summary) {
  return EncodeForm({{"action", std::string(summary.action)},
                     {"queue", std::string(summary.queue)},
                     {"topic", std::string(summary.topic)},
                     {"code", std::to_string(summary.code)},
                     {"requestId", std::string(summary.request_id)}});
}

api::AnswerSummary ForwardedAnswer::summary() const {
  return api::AnswerSummary{action, queue, topic, code, request_id};
}

ForwardedAnswer DecodeAnswerSummary(std::string_view header) {
  ForwardedAnswer answer;
  answer.code = -1;
  Result<ParamList> params = DecodeForm(header);
  if (!params.ok()) return answer;
  for (const auto& [name, value] : *params) {
    if (name == "action") answer.action = value;
    if (name == "queue") answer.queue = value;
    if (name == "topic") answer.topic = value;
    if (name == "requestId") answer.request_id = value;
    if (name == "code") answer.code = static_cast<int>(ParseInt64(value).value_or(-1));
  }
  return answer;
}

}  // namespace cmq::server
