#include "admin/metrics_text.h"

#include <charconv>
#include <cmath>

namespace cmq::admin {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Appends `text` with `\` and newline escaped, and `"` too in label values.
void AppendEscaped(std::string* out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// A float as Prometheus parses it: the shortest text that reads back exactly.
void AppendDouble(std::string* out, double value) {
  if (std::isnan(value)) {
    *out += "NaN";
  } else if (std::isinf(value)) {
    *out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, end);
  }
}

// An integer exactly and the line's end, without a temporary string: a scrape of many
// queues writes many.
template <typename Integer>
void AppendInteger(std::string* out, Integer value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
  *out += '\n';
}

}  // namespace

Labels& Labels::Add(std::string_view name, std::string_view value) {
  if (!text_.empty()) text_ += ',';
  text_.append(name).append("=\"");
  AppendEscaped(&text_, value, true);
  text_ += '"';
  return *this;
}

void MetricsText::Family(std::string_view name, MetricType type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  AppendEscaped(&out_, help, false);
  out_.append("\n# TYPE ").append(name).append(" ").append(TypeName(type)).append("\n");
}

void MetricsText::Start(std::string_view name, std::string_view labels, std::string_view extra) {
  out_.append(name);
  if (!labels.empty() || !extra.empty()) {
    out_ += '{';
    out_.append(labels);
    if (!labels.empty() && !extra.empty()) out_ += ',';
    out_.append(extra);
    out_ += '}';
  }
  out_ += ' ';
}

void MetricsText::Sample(std::string_view name, const Labels& labels, int64_t value) {
  Start(name, labels.str());
  AppendInteger(&out_, value);
}

void MetricsText::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  Start(name, labels.str());
  AppendInteger(&out_, value);
}

void MetricsText::Sample(std::string_view name, const Labels& labels, std::string_view extra,
                         int64_t value) {
  Start(name, labels.str(), extra);
  AppendInteger(&out_, value);
}

void MetricsText::Sample(std::string_view name, const Labels& labels, double value) {
  Start(name, labels.str());
  AppendDouble(&out_, value);
  out_ += '\n';
}

void MetricsText::HistogramSamples(std::string_view name, const Labels& labels,
                                   const Histogram& h) {
  const std::string bucket = std::string(name) + "_bucket";
  std::string prefix = labels.str();
  if (!prefix.empty()) prefix += ',';
  prefix += "le=\"";
  uint64_t cumulative = 0;
  const size_t bounds = h.upper_bounds().size();
  for (size_t i = 0; i <= bounds; ++i) {
    cumulative += h.bucket(i);
    std::string le = prefix;
    if (i < bounds) {
      AppendDouble(&le, h.upper_bounds()[i]);
    } else {
      le += "+Inf";
    }
    le += '"';
    Start(bucket, le);
    AppendInteger(&out_, cumulative);
  }
  Sample(std::string(name) + "_sum", labels, h.sum());
  Sample(std::string(name) + "_count", labels, cumulative);
}

void MetricsText::Single(std::string_view name, MetricType type, std::string_view help,
                         int64_t value) {
  Family(name, type, help);
  Sample(name, Labels(), value);
}

void MetricsText::Single(std::string_view name, MetricType type, std::string_view help,
                         double value) {
  Family(name, type, help);
  Sample(name, Labels(), value);
}

}  // namespace cmq::admin
