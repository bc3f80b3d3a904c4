// CallRouting: what the console needs of the node it runs on for its CMQ calls
// (POST /console/api; docs/architecture.md, "Web console"): whether another node runs
// them now, and sending them there (the distributed mode's standby passes them to the
// partition's owner); and the access line of each call and login this node answered.
// The daemon implements it (server/daemon.cc), so the console knows nothing of
// partitions, forwarding or the access log. Without one (ConsoleOptions::routing null)
// every call runs here and nothing is logged.
//
// Thread: the event loop, for every call and callback.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "api/api.h"
#include "common/status.h"
#include "http/server.h"

namespace cmq::console {

class CallRouting {
 public:
  virtual ~CallRouting() = default;

  // The call as a signed CMQ API request of the session's account, addressed to the
  // node whose API address ("host:port") is `host`: POST / with a form, its peer the
  // browser's address, no header of the browser's.
  using SignedCall = std::function<http::Request(const std::string& host)>;
  // The answer's body (the CMQ JSON as the other node gave it), or an error: that node
  // could not be reached or gave no answer in time, and the call may have run there.
  using Done = std::function<void(Result<std::string> body)>;

  // When another node runs calls now: sends `sign(its address)` there (`sign` is
  // called inside Forward only), answers through `done` exactly once (never inside
  // Forward; the call's access line is written here, with its duration from `arrived`)
  // and returns a function that abandons the call (the browser left: `done` then never
  // runs). Otherwise returns an empty function and does nothing: this node runs it.
  virtual std::function<void()> Forward(const SignedCall& sign,
                                        std::chrono::steady_clock::time_point arrived,
                                        Done done) = 0;

  // This node answered `client` (the browser's address): a call it ran, or a login
  // (action ConsoleLogin, code 0 or the CMQ code of the refusal).
  virtual void Answered(const std::string& client, const api::AnswerSummary& summary,
                        std::chrono::steady_clock::time_point arrived) = 0;
};

}  // namespace cmq::console
