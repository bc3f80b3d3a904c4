// Turns text into message batches, one message per line, for bulk sends and
// publishes: at most `max_count` messages and `max_bytes` of bodies per batch (CMQ's
// limits are 16 and 1 MiB). Line ends ("\n" or "\r\n") are not part of the body;
// empty lines are skipped (CMQ refuses empty bodies) and counted.
//
// A batch is also cut short when the next line is not ready yet (a pipe that is still
// being written, as in `tail -f log | cmqctl msg send q --stdin`), so a slow producer's
// lines go out at once instead of waiting for 15 more.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cmqctl {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its "\n" (blocking); false at the end of input.
  virtual bool Next(std::string* line) = 0;
  // Whether Next would return without blocking.
  virtual bool Ready() = 0;
  // True if reading failed for another reason than the end of input.
  virtual bool failed() const = 0;
};

// Over an istream: always ready (files, strings).
std::unique_ptr<LineReader> StreamLineReader(std::istream& in);
// Over a file descriptor (stdin), buffered; Ready() polls it. Does not own `fd`.
std::unique_ptr<LineReader> FdLineReader(int fd);

class LineBatcher {
 public:
  explicit LineBatcher(LineReader& reader, size_t max_count = 16, size_t max_bytes = 1 << 20);

  // Replaces *batch with the next batch. False (and *batch empty) at the end of input.
  // A line longer than max_bytes forms a batch of its own (the server then refuses it
  // with a clear error rather than cmqctl cutting it).
  bool Next(std::vector<std::string>* batch);

  uint64_t skipped_empty() const { return skipped_empty_; }
  bool read_error() const { return reader_.failed(); }

 private:
  LineReader& reader_;
  size_t max_count_;
  size_t max_bytes_;
  std::optional<std::string> carry_;  // read but did not fit the previous batch
  uint64_t skipped_empty_ = 0;
};

// Non-empty lines in the stream (for a progress bar's total); consumes the stream.
uint64_t CountMessageLines(std::istream& in);

}  // namespace cmqctl
