#include "table.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace cmqctl {
namespace {

// Decodes one UTF-8 code point at s[*i]; advances *i. Returns -1 for an invalid byte
// (advancing by one).
int32_t DecodeUtf8(std::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c < 0x80) {
    ++*i;
    return c;
  }
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return -1;
  }
  int32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++*i;
    return -1;
  }
  *i += len;
  return cp;
}

bool IsWide(int32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool IsCombining(int32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0xFE00 && cp <= 0xFE0F);
}

size_t Columns(int32_t cp) {
  if (IsCombining(cp)) return 0;
  return IsWide(cp) ? 2 : 1;
}

bool IsInteger(std::string_view s) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

void Pad(std::string* out, size_t n) { out->append(n, ' '); }

}  // namespace

std::string EscapeForDisplay(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    int32_t cp = DecodeUtf8(s, &i);
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      for (size_t k = start; k < i; ++k) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(s[k]));
        out += buf;
      }
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    int32_t cp = DecodeUtf8(s, &i);
    width += cp < 0 ? 1 : Columns(cp);
  }
  return width;
}

std::string Truncate(std::string_view s, size_t width) {
  std::string escaped = EscapeForDisplay(s);
  if (DisplayWidth(escaped) <= width) return escaped;
  if (width == 0) return "";
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < escaped.size();) {
    size_t start = i;
    int32_t cp = DecodeUtf8(escaped, &i);
    size_t w = cp < 0 ? 1 : Columns(cp);
    if (used + w > width - 1) break;
    out.append(escaped, start, i - start);
    used += w;
  }
  return out + "\xE2\x80\xA6";  // …
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), alignment_(headers_.size(), -1) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& c : cells) c = EscapeForDisplay(c);
  rows_.push_back(std::move(cells));
}

void Table::SetRightAligned(size_t column, bool right) {
  if (column < alignment_.size()) alignment_[column] = right ? 1 : 0;
}

std::string Table::Render() const {
  size_t n = headers_.size();
  std::vector<size_t> width(n, 0);
  std::vector<bool> right(n, false);
  for (size_t c = 0; c < n; ++c) {
    width[c] = DisplayWidth(headers_[c]);
    bool all_int = !rows_.empty();
    bool any = false;
    for (const auto& row : rows_) {
      width[c] = std::max(width[c], DisplayWidth(row[c]));
      if (!row[c].empty()) {
        any = true;
        all_int = all_int && IsInteger(row[c]);
      }
    }
    right[c] = alignment_[c] == 1 || (alignment_[c] == -1 && any && all_int);
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < n; ++c) {
      if (c > 0) line += "  ";
      size_t pad = width[c] - DisplayWidth(cells[c]);
      if (right[c]) Pad(&line, pad);
      line += cells[c];
      if (!right[c] && c + 1 < n) Pad(&line, pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit(headers_);
  for (const auto& row : rows_) emit(row);
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items) {
  size_t width = 0;
  for (const auto& [key, value] : items) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : items) {
    out += key;
    out += ':';
    std::string v = EscapeForDisplay(value);
    if (!v.empty()) {
      Pad(&out, width - DisplayWidth(key) - 1 + 2);
      out += v;
    }
    out += '\n';
  }
  return out;
}

}  // namespace cmqctl
