// The in-process API tests (src/api/*_test.cc) on the distributed mode's log: linked
// into api_tests_postgres, this file installs a PgRecordLog as the fixture's log
// (api_test_fixture.h). Each test gets a schema of its own in one database of the
// test program's PostgreSQL server, claims partition 0 there and writes through a real
// PgRecordLog; the fixture waits for real commits before it looks at answers.
#include <memory>
#include <string>

#include "api/api_test_fixture.h"
#include "journal/fake_loop_for_test.h"
#include "pglog/ownership.h"
#include "pglog/pg_conn.h"
#include "pglog/pg_record_log.h"
#include "pglog/schema.h"
#include "support/postgres_server.h"

namespace cmq {
namespace {

class PgTestLog : public api::TestLog {
 public:
  PgTestLog() {
    static const std::string database = testing::FreshDatabaseDsn();
    static int tests = 0;
    if (database.empty()) return;  // the failure is recorded
    std::string schema = "test_" + std::to_string(++tests);
    std::string dsn = database + " options='-csearch_path=" + schema + "'";
    auto conn = pglog::PgConn::Connect(dsn, "api-test", 10000);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return;
    EXPECT_TRUE((*conn)->Exec("CREATE SCHEMA " + schema).ok());
    EXPECT_TRUE(pglog::MigrateSchema(conn->get(), 1).ok());
    auto claim = pglog::TryClaim(conn->get(), 0, "api-test", "127.0.0.1:1", 600000);
    EXPECT_TRUE(claim.ok() && claim->claimed);
    if (!claim.ok() || !claim->claimed) return;
    pglog::PgLogOptions options;
    options.dsn = dsn;
    options.epoch = claim->row.epoch;
    auto opened = pglog::PgRecordLog::Open(env::PosixEnv(), options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return;
    log_ = std::move(opened).value();
    EXPECT_TRUE(
        log_->Recover([](journal::RecordType, std::string_view, journal::Location) {
              return Status::Ok();
            }).ok());
    EXPECT_TRUE(log_->Start(loop_.Hook()).ok());
  }
  ~PgTestLog() override {
    if (log_) {
      EXPECT_TRUE(log_->Close().ok());
    }
  }

  journal::RecordLog* log() override { return log_.get(); }
  bool RunUntil(const std::function<bool()>& done) override {
    return loop_.RunUntil(log_.get(), done);
  }
  bool Settled() override { return log_->Stats().durable_lsn >= log_->LastAppended(); }

 private:
  journal::FakeLoop loop_;
  std::unique_ptr<pglog::PgRecordLog> log_;
};

const bool installed = [] {
  api::InstalledTestLog() = [] { return std::make_unique<PgTestLog>(); };
  return true;
}();

}  // namespace
}  // namespace cmq
