// TempDir: a fresh empty directory for one test, removed with everything in it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cmq::testing {

// A fresh empty directory under `parent` (default: $TMPDIR, or /tmp), removed by the
// destructor. path() is empty if it could not be made.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole content of the file at `path` ("" if it cannot be read).
std::string ReadWholeFile(const std::string& path);

// The lines of `text` (a log file's, say), without their line ends.
std::vector<std::string> Lines(const std::string& text);

// The last `max_bytes` of `text` or a little less, from a line start, after a "...\n"
// line when something was cut: a log's end for a failure message.
std::string TailOf(const std::string& text, size_t max_bytes = 8000);

}  // namespace cmq::testing
