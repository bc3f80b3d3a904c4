// Helpers shared by the record encoders (records.cc, topic_records.cc). Internal to
// the broker library.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"

namespace cmq::broker {

inline void PutI64(std::string* out, int64_t v) { PutVarint64(out, static_cast<uint64_t>(v)); }

inline void PutStrings(std::string* out, const std::vector<std::string>& v) {
  PutVarint64(out, v.size());
  for (const auto& s : v) PutLengthPrefixed(out, s);
}

// A Decoder with the typed getters the records need. Each getter returns false once
// anything failed, so decoders can chain them with &&.
class RecordReader {
 public:
  explicit RecordReader(std::string_view in) : in_(in), d_(in) {}
  bool U64(uint64_t* v) { return d_.GetVarint64(v); }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!d_.GetVarint64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t u;
    if (!d_.GetVarint64(&u) || u > std::numeric_limits<uint32_t>::max()) return false;
    *v = static_cast<uint32_t>(u);
    return true;
  }
  bool Int(int* v) {
    int64_t i;
    if (!I64(&i) || i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max()) {
      return false;
    }
    *v = static_cast<int>(i);
    return true;
  }
  bool U8(uint8_t* v) {
    uint64_t u;
    if (!d_.GetVarint64(&u) || u > 255) return false;
    *v = static_cast<uint8_t>(u);
    return true;
  }
  // A small enumeration value in [0, limit].
  bool Enum(uint64_t limit, uint64_t* v) { return U64(v) && *v <= limit; }
  bool Str(std::string* s) {
    std::string_view v;
    if (!d_.GetLengthPrefixed(&v)) return false;
    s->assign(v);
    return true;
  }
  bool Strings(std::vector<std::string>* v) {
    uint64_t n;
    if (!Count(&n)) return false;
    v->resize(n);
    for (auto& s : *v) {
      if (!Str(&s)) return false;
    }
    return true;
  }
  // A count of following items, each at least one byte long: bounded by the input
  // left, so corrupt counts cannot make us allocate wildly.
  bool Count(uint64_t* n) { return U64(n) && *n <= d_.remaining().size(); }
  size_t consumed() const { return d_.consumed(in_); }
  bool done() const { return d_.done(); }

 private:
  std::string_view in_;
  Decoder d_;
};

}  // namespace cmq::broker
