#include "auth/candidates.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/signing.h"
#include "common/strings.h"

namespace cmq::auth {
namespace {

constexpr std::string_view kNodeTagName = "msgTag";

// Whether `host` ends in ":<digits>" outside an IPv6 literal's brackets.
bool HasPort(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) return false;
  size_t bracket = host.rfind(']');
  if (bracket != std::string_view::npos && bracket > colon) return false;
  if (bracket == std::string_view::npos && host.find(':') != colon) return false;  // bare IPv6
  std::string_view port = host.substr(colon + 1);
  return !port.empty() &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The Node client's tags (14.21) as one comma-joined msgTag, or nullopt when the
// request is not shaped like them or a join would be ambiguous (see the header).
std::optional<std::string> NodeJoinedTags(const ParamList& params) {
  const std::string prefix = std::string(kNodeTagName) + ".";
  const std::string folded_name = AsciiLower(kNodeTagName);
  const std::string folded_prefix = folded_name + ".";
  std::vector<std::pair<uint32_t, const std::string*>> tags;
  for (const Param& p : params) {
    std::string folded = AsciiLower(SignedName(p.first));
    if (folded != folded_name && !folded.starts_with(folded_prefix)) continue;
    if (!p.first.starts_with(prefix)) return std::nullopt;
    std::optional<uint32_t> index =
        ParseParamIndex(std::string_view(p.first).substr(prefix.size()));
    if (!index || p.second.find(',') != std::string::npos) return std::nullopt;
    tags.emplace_back(*index, &p.second);
  }
  if (tags.empty()) return std::nullopt;
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string joined;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) joined.push_back(',');
    joined.append(*tags[i].second);
  }
  return joined;
}

}  // namespace

std::vector<std::string> HostCandidates(const SignedRequest& request,
                                        const VerifyOptions& options) {
  std::vector<std::string> hosts;
  auto add = [&](std::string h) {
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
  };
  std::string_view host = request.host;
  add(std::string(host));
  const std::string_view default_port = request.https ? ":443" : ":80";
  if (!host.empty()) {
    if (!HasPort(host)) {
      add(std::string(host) + std::string(default_port));
    } else if (host.ends_with(default_port)) {
      add(std::string(host.substr(0, host.size() - default_port.size())));
    }
  }
  for (const std::string& h : options.public_hosts) add(h);
  return hosts;
}

std::vector<std::string_view> PathCandidates(const SignedRequest& request) {
  std::vector<std::string_view> paths = {request.path};
  std::string_view path = request.path;
  const size_t half = path.size() / 2;
  if (request.method == "GET" && half > 0 && path.size() % 2 == 0 && path.front() == '/' &&
      path.substr(0, half) == path.substr(half)) {
    paths.push_back(path.substr(0, half));
  }
  return paths;
}

std::vector<ParamSet> ParamSetCandidates(const SignedRequest& request) {
  static const ParamList kNoParams;
  const ParamList& received = request.params != nullptr ? *request.params : kNoParams;
  std::vector<ParamSet> sets(1);
  for (const Param& p : received) {
    if (p.first != "Signature") sets[0].params.push_back(p);
  }
  if (request.method != "POST") return sets;

  if (std::optional<std::string> joined = NodeJoinedTags(sets[0].params)) {
    ParamSet node;
    for (const Param& p : sets[0].params) {
      if (!p.first.starts_with(std::string(kNodeTagName) + ".")) node.params.push_back(p);
    }
    node.params.emplace_back(std::string(kNodeTagName), std::move(*joined));
    sets.push_back(std::move(node));
  }

  ParamSet without_at;
  for (size_t i = 0; i < received.size(); ++i) {
    const Param& p = received[i];
    if (p.first == "Signature") continue;
    if (p.second.starts_with('@')) {
      without_at.left_out.push_back(i);
    } else {
      without_at.params.push_back(p);
    }
  }
  if (!without_at.left_out.empty()) sets.push_back(std::move(without_at));
  return sets;
}

}  // namespace cmq::auth
