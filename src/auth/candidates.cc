#include "auth/candidates.h"

#include <algorithm>
#include <utility>

namespace cmq::auth {
namespace {

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

std::vector<ParamSet> ParamSetCandidates(const SignedRequest& request) {
  static const ParamList kNoParams;
  const ParamList& received = request.params != nullptr ? *request.params : kNoParams;
  std::vector<ParamSet> sets(1);
  for (const Param& p : received) {
    if (p.first != "Signature") sets[0].params.push_back(p);
  }
  if (request.method != "POST") return sets;

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
