#include "progress.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "time_format.h"

namespace cmqctl {
namespace {

std::string FormatRate(uint64_t done, double elapsed) {
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f msg/s", rate);
  return buf;
}

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string RenderProgressLine(uint64_t done, uint64_t total, double elapsed, size_t width) {
  std::string rate = FormatRate(done, elapsed);
  std::string line;
  if (total == 0) {
    line = std::to_string(done) + " msgs  " + rate + "  " + FormatDuration(elapsed);
  } else {
    uint64_t shown = std::min(done, total);
    int percent = static_cast<int>(shown * 100 / total);
    char pct[8];
    std::snprintf(pct, sizeof(pct), "%3d%%", percent);
    std::string tail =
        std::string(pct) + "  " + std::to_string(done) + "/" + std::to_string(total) + "  " + rate;
    if (done < total && done > 0 && elapsed > 0) {
      double eta = static_cast<double>(total - done) * elapsed / static_cast<double>(done);
      tail += "  ETA " + FormatDuration(eta);
    } else if (done >= total) {
      tail += "  " + FormatDuration(elapsed);
    }
    // "[" bar "] " tail: the bar gets what is left, capped at 30 cells.
    size_t room = width > tail.size() + 3 ? width - tail.size() - 3 : 0;
    size_t bar = std::min<size_t>(room, 30);
    if (bar >= 10) {
      size_t filled = static_cast<size_t>(shown * bar / total);
      line =
          std::string("[").append(filled, '#').append(bar - filled, '-').append("] ").append(tail);
    } else {
      line = tail;
    }
  }
  if (line.size() > width && width > 0) line.resize(width);
  return line;
}

std::string RenderSummary(std::string_view verb, uint64_t done, double elapsed) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), " %llu message%s in %s (%s)",
                static_cast<unsigned long long>(done), done == 1 ? "" : "s",
                FormatDuration(elapsed).c_str(), FormatRate(done, elapsed).c_str());
  return std::string(verb) + buf;
}

ProgressBar::ProgressBar(std::ostream& out, bool interactive, uint64_t total, size_t width,
                         Clock clock)
    : out_(out),
      interactive_(interactive),
      total_(total),
      width_(width),
      clock_(clock ? std::move(clock) : Clock(SteadySeconds)),
      start_(clock_()) {}

double ProgressBar::elapsed() const { return clock_() - start_; }

void ProgressBar::Advance(uint64_t n) {
  done_ += n;
  if (!interactive_ || finished_) return;
  double now = clock_();
  if (last_draw_ >= 0 && now - last_draw_ < 0.1) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Draw() {
  // "\r" + line + erase-to-end-of-line: the bar is redrawn over itself.
  out_ << '\r' << RenderProgressLine(done_, total_, elapsed(), width_ > 0 ? width_ - 1 : 0)
       << "\x1b[K" << std::flush;
}

void ProgressBar::Finish(std::string_view verb, bool quiet) {
  if (finished_) return;
  finished_ = true;
  if (interactive_) out_ << "\r\x1b[K";
  if (!quiet) out_ << RenderSummary(verb, done_, elapsed()) << '\n';
  out_ << std::flush;
}

}  // namespace cmqctl
