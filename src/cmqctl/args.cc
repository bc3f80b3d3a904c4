#include "args.h"

#include <charconv>

namespace cmqctl {

bool ParsedArgs::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> ParsedArgs::Value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::ValueOr(std::string_view name, std::string fallback) const {
  std::optional<std::string> v = Value(name);
  return v ? *v : std::move(fallback);
}

std::vector<std::string> ParsedArgs::Values(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool ParsedArgs::Switch(std::string_view name) const {
  std::optional<std::string> v = Value(name);
  return v.has_value() && *v == "true";
}

std::optional<int64_t> ParsedArgs::Int(std::string_view name, int64_t min, int64_t max,
                                       std::string* error) const {
  error->clear();
  std::optional<std::string> v = Value(name);
  if (!v) return std::nullopt;
  std::optional<int64_t> n = ParseInt64(*v);
  if (!n) {
    *error = "--" + std::string(name) + ": '" + *v + "' is not an integer";
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    *error = "--" + std::string(name) + ": " + *v + " is out of range [" + std::to_string(min) +
             ", " + std::to_string(max) + "]";
    return std::nullopt;
  }
  return n;
}

std::vector<std::string> ParsedArgs::FlagNames() const {
  std::vector<std::string> names;
  for (const auto& entry : values_) names.push_back(entry.first);
  return names;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

namespace {

const FlagSpec* FindLong(const std::vector<FlagSpec>& flags, std::string_view name) {
  for (const FlagSpec& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<FlagSpec>& flags, char c) {
  for (const FlagSpec& f : flags) {
    if (f.short_name != 0 && f.short_name == c) return &f;
  }
  return nullptr;
}

}  // namespace

std::optional<size_t> ParseArgs(std::span<const std::string> args,
                                const std::vector<FlagSpec>& flags, ParseOptions options,
                                ParsedArgs* out, std::string* error) {
  size_t i = 0;
  bool flags_done = false;
  while (i < args.size()) {
    const std::string& arg = args[i];
    bool is_flag = !flags_done && arg.size() > 1 && arg[0] == '-';
    if (!is_flag) {
      if (options.stop_at_positional) return i;
      out->AddPositional(arg);
      ++i;
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      ++i;
      if (options.stop_at_positional) return i;
      continue;
    }
    if (arg[1] == '-') {  // --name or --name=value
      std::string_view body = std::string_view(arg).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      const FlagSpec* spec = FindLong(flags, name);
      if (spec == nullptr) {
        *error = "unknown flag --" + std::string(name);
        return std::nullopt;
      }
      if (spec->kind == FlagKind::kSwitch) {
        std::string value = "true";
        if (eq != std::string_view::npos) {
          std::string_view v = body.substr(eq + 1);
          if (v != "true" && v != "false") {
            *error = "flag --" + spec->name + " takes no value (or =true/=false)";
            return std::nullopt;
          }
          value = std::string(v);
        }
        out->Add(spec->name, value);
        ++i;
        continue;
      }
      if (eq != std::string_view::npos) {
        out->Add(spec->name, std::string(body.substr(eq + 1)));
        ++i;
        continue;
      }
      if (i + 1 >= args.size()) {
        *error = "flag --" + spec->name + " needs a value (" + spec->value_name + ")";
        return std::nullopt;
      }
      out->Add(spec->name, args[i + 1]);
      i += 2;
      continue;
    }
    // One or more short flags: -v, -vy (bundled switches), -n 16, -n16.
    size_t pos = 1;
    bool consumed_next = false;
    while (pos < arg.size()) {
      const FlagSpec* spec = FindShort(flags, arg[pos]);
      if (spec == nullptr) {
        *error = "unknown flag -" + std::string(1, arg[pos]);
        return std::nullopt;
      }
      if (spec->kind == FlagKind::kSwitch) {
        out->Add(spec->name, "true");
        ++pos;
        continue;
      }
      if (pos + 1 < arg.size()) {
        out->Add(spec->name, arg.substr(pos + 1));
      } else if (i + 1 < args.size()) {
        out->Add(spec->name, args[i + 1]);
        consumed_next = true;
      } else {
        *error = "flag -" + std::string(1, arg[pos]) + " needs a value (" + spec->value_name + ")";
        return std::nullopt;
      }
      break;
    }
    i += consumed_next ? 2 : 1;
  }
  return i;
}

}  // namespace cmqctl
