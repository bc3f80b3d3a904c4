#include "support/crash_support.h"

#include <gtest/gtest.h>

#include <chrono>

#include "common/json.h"
#include "support/cmqd_process.h"

namespace cmq::testing {

client::Caller ConnectCaller(const std::string& endpoint) {
  client::CallerOptions options;
  options.endpoint = endpoint;
  options.secret_id = CmqdProcess::kSecretId;
  options.secret_key = CmqdProcess::kSecretKey;
  options.read_timeout_ms = 20000;
  auto caller = client::Caller::Create(options);
  EXPECT_TRUE(caller.ok());
  return std::move(caller).value();
}

void ServerHandle::Set(std::string endpoint) { SetAll({std::move(endpoint)}); }

void ServerHandle::SetAll(std::vector<std::string> endpoints) {
  std::lock_guard<std::mutex> lock(mu_);
  view_.endpoints = std::move(endpoints);
  ++view_.generation;
  cv_.notify_all();
}

ServerHandle::View ServerHandle::WaitNewer(int seen, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(1),
               [&] { return view_.generation != seen || stop.load(); });
  return view_;
}

ServerHandle::View ServerHandle::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return view_;
}

void ServerHandle::Wake() { cv_.notify_all(); }

bool KillAndRestart(CmqdProcess& server, ServerHandle& handle) {
  server.Kill9();
  if (!server.Start()) {
    ADD_FAILURE() << "cmqd did not restart:\n" << server.output();
    return false;
  }
  handle.Set(server.endpoint());
  return true;
}

Step AfterFailure(const client::Error& error) {
  if (!error.is_server()) return Step::kServerDown;
  ADD_FAILURE() << "unexpected server error: " << error.ToString();
  return Step::kFailed;
}

ClientThreads::ClientThreads(ServerHandle& handle, int count, StepFn step)
    : handle_(handle), step_(std::move(step)) {
  for (int id = 0; id < count; ++id) threads_.emplace_back([this, id] { Loop(id); });
}

ClientThreads::~ClientThreads() { Stop(); }

void ClientThreads::Stop() {
  stop_ = true;
  handle_.Wake();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ClientThreads::Loop(int id) {
  ServerHandle::View view = handle_.Current();
  size_t turn = static_cast<size_t>(id);  // threads spread over a cluster's nodes
  size_t failures_in_a_row = 0;
  client::Caller caller = ConnectCaller(view.endpoints[turn % view.endpoints.size()]);
  while (!stop_.load()) {
    switch (step_(id, caller)) {
      case Step::kNext:
        failures_in_a_row = 0;
        break;
      case Step::kFailed:
        ++failed_;
        return;
      case Step::kServerDown:
        // Every endpoint failed once since the last success: nothing answers now, so
        // wait for news (a restart) rather than spin.
        if (++failures_in_a_row % view.endpoints.size() == 0) {
          view = handle_.WaitNewer(view.generation, stop_);
        } else {
          view = handle_.Current();
        }
        ++turn;
        caller = ConnectCaller(view.endpoints[turn % view.endpoints.size()]);
        break;
    }
  }
}

std::map<std::string, std::string> DrainQueue(const std::string& endpoint,
                                              const std::string& queue) {
  client::Caller caller = ConnectCaller(endpoint);
  std::map<std::string, std::string> received;
  int empty_polls = 0;
  while (empty_polls < 2) {
    auto got = caller.Call("BatchReceiveMessage",
                           {{"queueName", queue}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "3"}},
                           3000);
    if (!got.ok()) {
      EXPECT_TRUE(got.error().is_no_message()) << got.error().ToString();
      if (!got.error().is_no_message()) break;
      ++empty_polls;
      continue;
    }
    empty_polls = 0;
    ParamList handles = {{"queueName", queue}};
    int i = 1;
    for (const JsonValue& m : got->Find("msgInfoList")->items()) {
      received[m.Find("msgBody")->as_string()] = m.Find("msgId")->as_string();
      handles.emplace_back("receiptHandle." + std::to_string(i++),
                           m.Find("receiptHandle")->as_string());
    }
    auto deleted = caller.Call("BatchDeleteMessage", handles);
    EXPECT_TRUE(deleted.ok()) << deleted.error().ToString();
  }
  return received;
}

}  // namespace cmq::testing
