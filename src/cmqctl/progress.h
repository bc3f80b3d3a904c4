// Progress of bulk sends and drains: a bar with count, rate and ETA redrawn in place
// on a terminal, or nothing but a one-line summary when the stream is not a terminal.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace cmqctl {

// One progress line, without "\r" or escape codes. `total` 0 means unknown (no bar, no
// ETA). `width` is the terminal width; the bar shrinks to fit and the line never
// exceeds it (below about 40 columns the bar is left out).
//   [##########----------]  50%  5000/10000  2500 msg/s  ETA 2.0s
//   (the percentage is right-aligned in 4 columns)
//   5000 msgs  2500 msg/s  2.0s
std::string RenderProgressLine(uint64_t done, uint64_t total, double elapsed_seconds, size_t width);

// "sent 10000 messages in 3.2s (3125 msg/s)".
std::string RenderSummary(std::string_view verb, uint64_t done, double elapsed_seconds);

// Redraws RenderProgressLine on `out` at most every 100 ms while work advances, when
// `interactive`; otherwise stays silent until Finish. Not thread-safe.
class ProgressBar {
 public:
  using Clock = std::function<double()>;  // seconds, monotonic

  // `clock` defaults to steady_clock; tests pass their own.
  ProgressBar(std::ostream& out, bool interactive, uint64_t total, size_t width,
              Clock clock = nullptr);
  void Advance(uint64_t n);
  // Clears the bar line (interactive) and writes RenderSummary(verb, ...) plus '\n' to
  // `out` unless `quiet`. Idempotent.
  void Finish(std::string_view verb, bool quiet = false);

  uint64_t done() const { return done_; }
  double elapsed() const;

 private:
  void Draw();

  std::ostream& out_;
  bool interactive_;
  uint64_t total_;
  size_t width_;
  Clock clock_;
  double start_;
  double last_draw_ = -1;
  uint64_t done_ = 0;
  bool finished_ = false;
};

}  // namespace cmqctl
