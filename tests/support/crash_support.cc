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

void ServerHandle::Set(std::string endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  endpoint_ = std::move(endpoint);
  ++generation_;
  cv_.notify_all();
}

std::pair<std::string, int> ServerHandle::WaitNewer(int seen, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(1), [&] { return generation_ != seen || stop.load(); });
  return {endpoint_, generation_};
}

std::pair<std::string, int> ServerHandle::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  return {endpoint_, generation_};
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
  auto [endpoint, generation] = handle_.Current();
  client::Caller caller = ConnectCaller(endpoint);
  while (!stop_.load()) {
    switch (step_(id, caller)) {
      case Step::kNext:
        break;
      case Step::kFailed:
        ++failed_;
        return;
      case Step::kServerDown:
        std::tie(endpoint, generation) = handle_.WaitNewer(generation, stop_);
        caller = ConnectCaller(endpoint);
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
