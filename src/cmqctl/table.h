// Aligned plain-text tables and key/value blocks for human output. Widths are measured
// in terminal columns (UTF-8 aware; East Asian wide characters count two), and control
// characters in cells are escaped so a message body can never break the layout.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cmqctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Cells beyond the header count are dropped; missing cells are empty.
  void AddRow(std::vector<std::string> cells);
  // Right-aligns a column (numbers). By default a column is right-aligned when every
  // non-empty cell in it is an integer; this overrides the guess.
  void SetRightAligned(size_t column, bool right);
  size_t rows() const { return rows_.size(); }

  // Header line, then one line per row; columns separated by two spaces, no trailing
  // whitespace, every line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int> alignment_;  // -1 guess, 0 left, 1 right
};

// "key:  value" lines with the values aligned in one column.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items);

// Terminal columns `s` occupies (after EscapeForDisplay).
size_t DisplayWidth(std::string_view s);
// `s` with \n, \r, \t shown as \n, \r, \t and other control characters as \xNN;
// invalid UTF-8 bytes as \xNN.
std::string EscapeForDisplay(std::string_view s);
// EscapeForDisplay(s), cut to at most `width` columns with a trailing "…" when cut.
std::string Truncate(std::string_view s, size_t width);

}  // namespace cmqctl
