// An fdatasync error under the real Journal, Broker and Api (as cmqd wires them): the
// journal stops taking writes and says why in the log at once, and clients get the
// documented 6000 answer with no file path in it.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "api/api_test_fixture.h"
#include "common/log.h"
#include "env/fault_env.h"
#include "journal/journal.h"

namespace cmq::server {
namespace {

constexpr char kStorageFailedMessage[] =
    "(10050)server internal error: storage failed, the server stopped accepting writes after "
    "a disk error";
constexpr char kJournalFailedLine[] =
    "ERROR journal failed, writes are refused until a restart (fail-stop): fdatasync "
    "/data/journal/";

class StorageFailureTest : public api::ApiTest {
 protected:
  StorageFailureTest() : mem_(env::NewMemEnv(&clock_)), faults_(mem_.get()) {
    journal::JournalOptions options;
    options.dir = "/data/journal";
    auto opened = journal::Journal::Open(&faults_, options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    journal_ = std::move(opened).value();
    // The api and broker of the fixture are rebuilt on the journal, as cmqd does it.
    api_.reset();
    broker_ = std::make_unique<broker::Broker>(&clock_, journal_.get(), TestLimits());
    Status recovered = journal_->Recover(
        [this](journal::RecordType type, std::string_view payload, journal::Location loc) {
          return broker_->Replay(type, payload, loc);
        });
    EXPECT_TRUE(recovered.ok()) << recovered.ToString();
    broker_->FinishRecovery();
    Status started = journal_->Start([this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++wakeups_;
      cv_.notify_all();
    });
    EXPECT_TRUE(started.ok()) << started.ToString();
    api::ApiOptions api_options;
    api_options.limits = TestLimits();
    api_ = std::make_unique<api::Api>(broker_.get(), keys_.get(), &clock_, api_options);
  }

  ~StorageFailureTest() override {
    api_.reset();
    broker_.reset();
    Status closed = journal_->Close();  // kStorageFailed after the injected failure
    EXPECT_TRUE(closed.ok() || closed == ErrorCode::kStorageFailed) << closed.ToString();
  }

  // Calls `action` and runs the journal's completions, as the event loop does, until
  // the answer comes (after durability, or after the failure).
  JsonValue CallAndWait(const std::string& action, ParamList params) {
    uint64_t seen = Wakeups();
    api::Pending p = Start(action, std::move(params));
    while (!p.answered()) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        // Bounded only so that a broken journal fails the test instead of hanging it.
        if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return wakeups_ != seen; })) {
          ADD_FAILURE() << action << " was never answered";
          return JsonValue::MakeNull();
        }
        seen = wakeups_;
      }
      journal_->RunCompletions();
    }
    return p.json();
  }

  uint64_t Wakeups() {
    std::lock_guard<std::mutex> lock(mu_);
    return wakeups_;
  }

  std::unique_ptr<env::Env> mem_;
  env::FaultEnv faults_;
  std::unique_ptr<journal::Journal> journal_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;
};

TEST_F(StorageFailureTest, LoggedOnceAtOnceAndClientsSeeNoPath) {
  ExpectOk(CallAndWait("CreateQueue", {{"queueName", "q"}}));
  ExpectOk(CallAndWait("SendMessage", {{"queueName", "q"}, {"msgBody", "kept"}}));

  LogCapture capture;
  faults_.SetFailSync(true);
  JsonValue failed = CallAndWait("SendMessage", {{"queueName", "q"}, {"msgBody", "lost"}});
  EXPECT_EQ(Code(failed), 6000);
  EXPECT_EQ(Message(failed), kStorageFailedMessage);
  EXPECT_EQ(capture.Count(kJournalFailedLine), 1u);
  EXPECT_TRUE(journal_->Stats().failed);

  // Fail-stop holds after the disk recovers; later writes are refused as a storage
  // failure (not as a full disk), and the journal's failure is not logged again.
  faults_.SetFailSync(false);
  JsonValue later = CallAndWait("SendMessage", {{"queueName", "q"}, {"msgBody", "later"}});
  EXPECT_EQ(Code(later), 6000);
  EXPECT_EQ(Message(later), kStorageFailedMessage);
  EXPECT_EQ(capture.Count(kJournalFailedLine), 1u);
  for (const std::string& line : capture.Lines()) {
    EXPECT_EQ(line.rfind("ERROR ", 0), 0u) << line;
  }

  // Reads keep working.
  ExpectOk(CallAndWait("GetQueueAttributes", {{"queueName", "q"}}));
}

}  // namespace
}  // namespace cmq::server
