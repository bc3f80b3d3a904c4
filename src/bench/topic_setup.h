// Setting up and removing what the topic modes (publish, push) run on: the topic, the
// subscription queues <topic>-q1..N and the subscriptions, with the tag and key
// options applied the same way to every subscription and every publish.
#pragma once

#include <optional>
#include <string>

#include "bench/bench_options.h"
#include "client/caller.h"
#include "common/form.h"

namespace cmq::bench {

// <topic>-q<i>: the i-th subscription queue of mode publish (i from 1), also the name
// of its subscription.
std::string SubscriptionQueueName(const BenchOptions& options, int i);
// <topic>-h<i>: the i-th HTTP subscription of mode push (i from 1).
std::string HttpSubscriptionName(const BenchOptions& options, int i);

// With --create-topic: CreateTopic with --filter-type and the maxMsgSize --size needs
// (an existing topic is used as is). Without: the topic must exist. Returns the
// topic's filterType as the server reports it, or nullopt (after printing why to
// stderr) if the run cannot go on.
std::optional<int> PrepareTopic(client::Caller* caller, const BenchOptions& options);

// topicName plus msgTag.1 (--tag) and routingKey (--routing-key; "cmq.bench" on a
// filterType 2 topic when not given): the parameters of every publish.
ParamList PublishTarget(const BenchOptions& options, int filter_type);

struct SubscriptionSpec {
  std::string name;
  std::string protocol;  // "queue" or "http"
  std::string endpoint;
  std::string format;    // notifyContentFormat, "" = server default
  bool replace = false;  // an existing subscription of this name is removed first
};

// Subscribes with filterTag.1 (--tag) and bindingKey.1 (--binding-key; "#" on a
// filterType 2 topic when not given). An existing subscription of that name is kept
// as it is, or replaced with `spec.replace`. False after printing why on failure.
bool SubscribeTo(client::Caller* caller, const BenchOptions& options, int filter_type,
                 const SubscriptionSpec& spec);

// Unsubscribe / DeleteTopic; print what they did, or a warning on failure.
void UnsubscribeFrom(client::Caller* caller, const BenchOptions& options,
                     const std::string& name);
void DeleteTopic(client::Caller* caller, const BenchOptions& options);

// The options PrepareQueue / CleanupQueue need for subscription queue `i`: its name,
// created with --create-topic and deleted with --delete-topic.
BenchOptions SubscriptionQueueOptions(const BenchOptions& options, int i);

}  // namespace cmq::bench
