// What an action handler gets, and the dispatch tables. One table per resource file
// (queue_handlers.cc, message_handlers.cc, topic_handlers.cc, subscription_handlers.cc),
// each added with one line in api.cc. Internal to the api layer.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "api/api.h"
#include "api/params.h"
#include "api/response.h"
#include "broker/broker.h"

namespace cmq::api {

// One authenticated request, valid only while the handler runs. Anything a handler
// needs later (in a broker callback) it copies: `reply` is cheap to copy, `params`
// and the strings it hands out are not kept.
struct Call {
  broker::Broker* broker;
  const ApiOptions* options;
  broker::AccountId account;
  const Params& params;
  Reply reply;
  // Set by a handler whose request is parked (long-poll receive): cancels it.
  std::function<void()> cancel;
  // Who sent the request ("ip:port", ApiRequest::client): receives record it.
  std::string_view client;
};

// Answers through call.reply exactly once, now or from a broker callback.
using ActionHandler = void (*)(Call& call);

struct ActionEntry {
  std::string_view name;  // canonical spelling; matched case-insensitively
  ActionHandler handler;
  // False for actions about the node rather than the queue space: answered on a node
  // that serves no partition (call.broker is then null).
  bool needs_broker = true;
};

std::span<const ActionEntry> QueueActions();         // queue_handlers.cc
std::span<const ActionEntry> MessageActions();       // message_handlers.cc
std::span<const ActionEntry> TopicActions();         // topic_handlers.cc
std::span<const ActionEntry> SubscriptionActions();  // subscription_handlers.cc
std::span<const ActionEntry> ClusterActions();       // cluster_handlers.cc
std::span<const ActionEntry> MessageOpsActions();    // message_ops_handlers.cc
std::span<const ActionEntry> TraceActions();         // trace_handlers.cc

}  // namespace cmq::api
