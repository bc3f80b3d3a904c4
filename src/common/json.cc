#include "common/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/strings.h"

namespace cmq {
namespace {

constexpr int kMaxDepth = 64;
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Length of the prefix of [p, p + n) that a string literal holds as it is, in JSON
// text and in the decoded value alike: no quote, no backslash, no control character,
// and (unless `high_ok`) no byte >= 0x80. Sixteen bytes at a time where SSE2 is there.
size_t PlainRun(const char* p, size_t n, bool high_ok) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1f);
  for (; i + 16 <= n; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash));
    // x <= 0x1f, unsigned: max(x, 0x1f) == 0x1f.
    special = _mm_or_si128(special, _mm_cmpeq_epi8(_mm_max_epu8(x, max_control), max_control));
    int mask = _mm_movemask_epi8(special);
    if (!high_ok) mask |= _mm_movemask_epi8(x);  // the high bit of each byte
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    if (c == '"' || c == '\\' || c < 0x20 || (c >= 0x80 && !high_ok)) break;
  }
  return i;
}

// Appends `s` as a JSON string literal. Invalid UTF-8 cannot be represented in JSON
// text, so each offending byte becomes U+FFFD rather than producing a document that
// clients fail to parse. (The api rejects non-UTF-8 message bodies before they get
// here, so this only affects diagnostics such as echoed parameter names.)
void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool valid = IsValidUtf8(s);
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    // Copy the run of bytes that need no escaping in one append.
    size_t run = i + PlainRun(s.data() + i, s.size() - i, valid);
    if (run > i) {
      out->append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    } else {
      // A non-ASCII byte of invalid text (PlainRun copied everything else): find the
      // valid sequence starting here, if any (the lead byte fixes its length, so the
      // first valid prefix is the sequence).
      size_t len = 0;
      for (size_t k = 2; k <= 4 && i + k <= s.size(); ++k) {
        if (IsValidUtf8(s.substr(i, k))) {
          len = k;
          break;
        }
      }
      if (len == 0) {
        out->append(kReplacementChar);
      } else {
        out->append(s.substr(i, len));
        i += len - 1;
      }
    }
  }
  out->push_back('"');
}

// For a grammatical, nonzero JSON number: whether its magnitude is >= 1, decided from
// the decimal exponent of its first significant digit (saturating, so absurd exponents
// cannot overflow).
bool IsHugeMagnitude(std::string_view num) {
  if (num[0] == '-') num.remove_prefix(1);
  size_t e = num.find_first_of("eE");
  std::string_view mantissa = num.substr(0, e);
  size_t dot = mantissa.find('.');
  std::string_view int_part = mantissa.substr(0, dot);
  int64_t magnitude;
  if (int_part != "0") {
    magnitude = static_cast<int64_t>(int_part.size());
  } else {
    std::string_view frac = dot == std::string_view::npos ? "" : mantissa.substr(dot + 1);
    magnitude = -static_cast<int64_t>(frac.find_first_not_of('0'));
  }
  int64_t exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view exp_text = num.substr(e + 1);
    bool negative = exp_text[0] == '-';
    if (exp_text[0] == '-' || exp_text[0] == '+') exp_text.remove_prefix(1);
    for (char c : exp_text) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent > 0;
}

}  // namespace

// ---- JsonWriter ----

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_.push_back(',');
  first_.back() = false;
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  AppendQuoted(key, &out_);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Separate();
  AppendQuoted(value, &out_);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_.append(buf, end);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_.append("null");
  return *this;
}

// ---- JsonValue ----

std::optional<int64_t> JsonValue::as_int() const {
  if (type_ != Type::kNumber) return std::nullopt;
  // Plain integer text converts exactly, even beyond 2^53.
  if (auto v = ParseInt64(string_)) return v;
  if (string_.find_first_of(".eE") == std::string::npos) return std::nullopt;  // overflow
  // 1e3, 2.0 and the like: integral values that a double holds exactly.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!std::isfinite(number_) || std::trunc(number_) != number_ || number_ < -kTwo63 ||
      number_ >= kTwo63) {
    return std::nullopt;
  }
  return static_cast<int64_t>(number_);
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

// ---- Parser ----

// Recursive descent over RFC 8259. Every error reports the byte offset where parsing
// stopped; recursion is bounded by kMaxDepth so hostile input cannot exhaust the stack.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Result<JsonValue> ParseDocument() {
    if (!IsValidUtf8(text_)) return Status(ErrorCode::kCannotParse, "json (invalid UTF-8)");
    JsonValue value;
    SkipSpace();
    if (!ParseValue(&value, 0)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) {
      error_ = "trailing characters";
      return Error();
    }
    return value;
  }

 private:
  Status Error() const {
    return Status(ErrorCode::kCannotParse,
                  "json (offset " + std::to_string(pos_) + ": " + error_ + ")");
  }

  bool Fail(const char* why) {
    error_ = why;
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool Consume(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (pos_ >= text_.size()) return Fail("unexpected end");
    char c = text_[pos_];
    switch (c) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"':
        out->type_ = JsonValue::Type::kString;
        return ParseString(&out->string_);
      case 't':
        if (!Consume("true")) return Fail("invalid literal");
        out->type_ = JsonValue::Type::kBool;
        out->bool_ = true;
        return true;
      case 'f':
        if (!Consume("false")) return Fail("invalid literal");
        out->type_ = JsonValue::Type::kBool;
        out->bool_ = false;
        return true;
      case 'n':
        if (!Consume("null")) return Fail("invalid literal");
        out->type_ = JsonValue::Type::kNull;
        return true;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Fail("unexpected character");
    }
  }

  bool ParseObject(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    out->type_ = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Consume("}")) return true;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected string key");
      std::pair<std::string, JsonValue> member;
      if (!ParseString(&member.first)) return false;
      SkipSpace();
      if (!Consume(":")) return Fail("expected ':'");
      SkipSpace();
      if (!ParseValue(&member.second, depth)) return false;
      out->members_.push_back(std::move(member));
      SkipSpace();
      if (Consume("}")) return true;
      if (!Consume(",")) return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(JsonValue* out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    out->type_ = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Consume("]")) return true;
    while (true) {
      SkipSpace();
      JsonValue item;
      if (!ParseValue(&item, depth)) return false;
      out->items_.push_back(std::move(item));
      SkipSpace();
      if (Consume("]")) return true;
      if (!Consume(",")) return Fail("expected ',' or ']'");
    }
  }

  bool ParseHex4(uint32_t* v) {
    if (text_.size() - pos_ < 4) return Fail("truncated \\u escape");
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return Fail("invalid \\u escape");
      }
      r = r * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 4;
    *v = r;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in string");
      if (c != '\\') {
        // Copy the run of plain characters in one append.
        size_t end = pos_ + 1;
        end += PlainRun(text_.data() + end, text_.size() - end, /*high_ok=*/true);
        out->append(text_.data() + pos_, end - pos_);
        pos_ = end;
        continue;
      }
      if (++pos_ >= text_.size()) return Fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return Fail("unpaired low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low;
            if (!Consume("\\u")) return Fail("unpaired high surrogate");
            if (!ParseHex4(&low)) return false;
            if (low < 0xdc00 || low > 0xdfff) return Fail("unpaired high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Fail("invalid escape");
      }
    }
  }

  bool ParseNumber(JsonValue* out) {
    size_t start = pos_;
    auto digit = [&] { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; };
    if (text_[pos_] == '-') ++pos_;
    if (!digit()) return Fail("invalid number");
    if (text_[pos_] == '0') {
      ++pos_;
      if (digit()) return Fail("leading zero in number");
    } else {
      while (digit()) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digit()) return Fail("invalid number");
      while (digit()) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digit()) return Fail("invalid number");
      while (digit()) ++pos_;
    }
    std::string_view num = text_.substr(start, pos_ - start);
    out->type_ = JsonValue::Type::kNumber;
    out->string_.assign(num);
    double d = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Beyond double: the text stays exact; as_double saturates to +-inf or +-0.
      d = IsHugeMagnitude(num) ? std::numeric_limits<double>::infinity() : 0.0;
      if (num[0] == '-') d = -d;
    } else if (ec != std::errc()) {
      return Fail("invalid number");
    }
    out->number_ = d;
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

Result<JsonValue> ParseJson(std::string_view text) { return JsonParser(text).ParseDocument(); }

}  // namespace cmq
