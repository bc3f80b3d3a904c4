#include "line_batcher.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace cmqctl {
namespace {

class IstreamReader : public LineReader {
 public:
  explicit IstreamReader(std::istream& in) : in_(in) {}
  bool Next(std::string* line) override { return static_cast<bool>(std::getline(in_, *line)); }
  bool Ready() override { return true; }
  bool failed() const override { return in_.bad(); }

 private:
  std::istream& in_;
};

class FdReader : public LineReader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}

  bool Next(std::string* line) override {
    while (true) {
      size_t nl = buffer_.find('\n', scanned_);
      if (nl != std::string::npos) {
        line->assign(buffer_, 0, nl);
        buffer_.erase(0, nl + 1);
        scanned_ = 0;
        return true;
      }
      scanned_ = buffer_.size();
      if (eof_) {
        if (buffer_.empty()) return false;
        line->swap(buffer_);  // a last line without "\n"
        buffer_.clear();
        scanned_ = 0;
        return true;
      }
      Fill();
    }
  }

  bool Ready() override {
    if (eof_ || buffer_.find('\n', scanned_) != std::string::npos) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  bool failed() const override { return failed_; }

 private:
  void Fill() {
    char chunk[64 << 10];
    while (true) {
      ssize_t n = ::read(fd_, chunk, sizeof(chunk));
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) failed_ = true;
      eof_ = true;
      return;
    }
  }

  int fd_;
  std::string buffer_;
  size_t scanned_ = 0;  // buffer_[0, scanned_) holds no '\n'
  bool eof_ = false;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<LineReader> StreamLineReader(std::istream& in) {
  return std::make_unique<IstreamReader>(in);
}

std::unique_ptr<LineReader> FdLineReader(int fd) { return std::make_unique<FdReader>(fd); }

LineBatcher::LineBatcher(LineReader& reader, size_t max_count, size_t max_bytes)
    : reader_(reader), max_count_(max_count), max_bytes_(max_bytes) {}

bool LineBatcher::Next(std::vector<std::string>* batch) {
  batch->clear();
  size_t bytes = 0;
  while (batch->size() < max_count_) {
    std::string line;
    if (carry_) {
      line = std::move(*carry_);
      carry_.reset();
    } else {
      if (!batch->empty() && !reader_.Ready()) break;  // send what we have now
      if (!reader_.Next(&line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) {
        ++skipped_empty_;
        continue;
      }
    }
    if (!batch->empty() && bytes + line.size() > max_bytes_) {
      carry_ = std::move(line);
      break;
    }
    bytes += line.size();
    batch->push_back(std::move(line));
  }
  return !batch->empty();
}

uint64_t CountMessageLines(std::istream& in) {
  uint64_t n = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) ++n;
  }
  return n;
}

}  // namespace cmqctl
