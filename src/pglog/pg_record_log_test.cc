// What the PostgreSQL log adds to the RecordLog contract (record_log_contract_test.cc):
// fencing, corruption found by recovery, the headroom cap, the segment cache, and
// failures of PostgreSQL itself, each against a real server.
#include "pglog/pg_record_log.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "journal/fake_loop_for_test.h"
#include "pglog/ownership.h"
#include "pglog/pg_conn.h"
#include "pglog/cluster_view.h"
#include "pglog/schema.h"
#include "support/postgres_server.h"

namespace cmq::pglog {
namespace {

using journal::Location;
using journal::RecordType;

class PgRecordLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsn_ = testing::FreshDatabaseDsn();
    ASSERT_FALSE(dsn_.empty());
    admin_ = Connect();
    ASSERT_NE(admin_, nullptr);
    ASSERT_TRUE(MigrateSchema(admin_.get(), 1).ok());
  }

  void TearDown() override {
    if (log_) {
      Status closed = log_->Close();
      (void)closed;  // some tests fail the log on purpose; each checks what it expects
    }
  }

  std::unique_ptr<PgConn> Connect() {
    auto conn = PgConn::Connect(dsn_, "test", 10000);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  uint64_t Claim(const std::string& node = "node-a") {
    auto claim = TryClaim(admin_.get(), 0, node, "127.0.0.1:1", 60000);
    EXPECT_TRUE(claim.ok() && claim->claimed);
    return claim.ok() ? claim->row.epoch : 0;
  }

  // Opens (and recovers) the log as the owner of `epoch`; returns the records replayed.
  std::vector<std::string> OpenLog(uint64_t epoch, PgLogOptions options = {}) {
    options.dsn = dsn_;
    options.epoch = epoch;
    auto opened = PgRecordLog::Open(env::PosixEnv(), options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    std::vector<std::string> replayed;
    if (!opened.ok()) return replayed;
    log_ = std::move(opened).value();
    recovered_ = log_->Recover([&](RecordType, std::string_view payload, Location) {
      replayed.emplace_back(payload);
      return Status::Ok();
    });
    if (recovered_.ok()) {
      EXPECT_TRUE(log_->Start(loop_.Hook()).ok());
    }
    return replayed;
  }

  Location Append(const std::string& payload) {
    std::string_view part(payload);
    auto loc = log_->Append(1, std::span<const std::string_view>(&part, 1));
    EXPECT_TRUE(loc.ok()) << loc.status().ToString();
    return loc.ok() ? *loc : 0;
  }

  // Appends and waits for the commit; returns how the callback was answered.
  Status AppendDurably(const std::string& payload) {
    Append(payload);
    Status answer(ErrorCode::kInternal, "no answer");
    bool done = false;
    log_->WhenDurable(log_->LastAppended(), [&](const Status& s) {
      answer = s;
      done = true;
    });
    EXPECT_TRUE(loop_.RunUntil(log_.get(), [&] { return done; }));
    return answer;
  }

  int64_t Count(const std::string& sql) {
    auto r = admin_->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->rows() == 1 ? r->GetInt(0, 0) : -1;
  }

  std::string dsn_;
  std::unique_ptr<PgConn> admin_;
  journal::FakeLoop loop_;
  std::unique_ptr<PgRecordLog> log_;
  Status recovered_;
};

TEST_F(PgRecordLogTest, AnOwnerWhoseEpochMovedOnWritesNothingMore) {
  uint64_t epoch = Claim();
  OpenLog(epoch);
  ASSERT_TRUE(AppendDurably("before the takeover").ok());
  int64_t rows = Count("SELECT count(*) FROM cmq_log_0_1");
  // Another node takes the partition over (the lease is its own business: a claim by
  // the same node id also moves the epoch on).
  auto early = TryClaim(admin_.get(), 0, "node-b", "127.0.0.1:2", 60000);
  ASSERT_TRUE(early.ok());
  ASSERT_FALSE(early->claimed) << "the lease is live, node-b must not get it";
  ASSERT_TRUE(ReleaseLease(admin_.get(), 0, epoch).ok());
  ASSERT_EQ(Claim("node-b"), epoch + 1);

  Status answer = AppendDurably("after the takeover");
  EXPECT_EQ(answer.error(), ErrorCode::kNotServing) << answer.ToString();
  EXPECT_EQ(Count("SELECT count(*) FROM cmq_log_0_1"), rows);
  // Failed for good: no append is taken any more.
  std::string_view part("later");
  EXPECT_EQ(log_->Append(1, std::span<const std::string_view>(&part, 1)).status().error(),
            ErrorCode::kNotServing);
  // The new owner recovers exactly what the old one committed.
  Status closed = log_->Close();
  EXPECT_EQ(closed.error(), ErrorCode::kNotServing);
  log_.reset();
  EXPECT_EQ(OpenLog(epoch + 1), std::vector<std::string>{"before the takeover"});
}

TEST_F(PgRecordLogTest, AnOldOwnerCannotCreateSegmentsEither) {
  uint64_t epoch = Claim();
  OpenLog(epoch);
  ASSERT_TRUE(ReleaseLease(admin_.get(), 0, epoch).ok());
  Claim("node-b");
  // The first append creates the log's first segment: refused.
  EXPECT_EQ(AppendDurably("x").error(), ErrorCode::kNotServing);
  EXPECT_EQ(Count("SELECT count(*) FROM cmq_segments"), 0);
}

// A receive record nobody waits for must still be committed soon: a takeover must
// know which messages clients hold.
TEST_F(PgRecordLogTest, RecordsNobodyWaitsForAreCommittedToo) {
  OpenLog(Claim());
  ASSERT_TRUE(AppendDurably("a send").ok());  // the writer is idle after this
  Append("a receive, say");
  journal::Lsn lsn = log_->LastAppended();
  EXPECT_TRUE(loop_.RunUntil(log_.get(), [&] { return log_->Stats().durable_lsn >= lsn; }));
  EXPECT_EQ(Count("SELECT count(*) FROM cmq_log_0_1"), 2);
}

TEST_F(PgRecordLogTest, RecoveryRefusesRowsWithAGap) {
  OpenLog(Claim());
  ASSERT_TRUE(AppendDurably("one").ok());
  ASSERT_TRUE(AppendDurably("two").ok());
  ASSERT_TRUE(log_->Close().ok());
  log_.reset();
  ASSERT_TRUE(admin_->Exec("DELETE FROM cmq_log_0_1 WHERE pos = 0").ok());
  OpenLog(Claim());
  EXPECT_EQ(recovered_.error(), ErrorCode::kCorruption);
  EXPECT_NE(recovered_.detail().find("cmq_log_0_1"), std::string::npos) << recovered_.ToString();
}

TEST_F(PgRecordLogTest, RecoveryRefusesADamagedRecord) {
  OpenLog(Claim());
  ASSERT_TRUE(AppendDurably("a record whose bytes will change").ok());
  ASSERT_TRUE(log_->Close().ok());
  log_.reset();
  // One byte of the payload changes; the record's checksum tells.
  ASSERT_TRUE(admin_->Exec("UPDATE cmq_log_0_1 SET data = set_byte(data, 12, 88)").ok());
  OpenLog(Claim());
  EXPECT_EQ(recovered_.error(), ErrorCode::kCorruption);
  EXPECT_NE(recovered_.detail().find("checksum"), std::string::npos) << recovered_.ToString();
}

TEST_F(PgRecordLogTest, HeadroomIsRefusedPastTheCap) {
  PgLogOptions options;
  options.max_log_bytes = 10000;
  OpenLog(Claim(), options);
  EXPECT_TRUE(log_->EnsureHeadroom(5000).ok());
  ASSERT_TRUE(AppendDurably(std::string(6000, 'x')).ok());
  Status refused = log_->EnsureHeadroom(5000);
  EXPECT_EQ(refused.error(), ErrorCode::kDiskFull) << refused.ToString();
  EXPECT_TRUE(log_->EnsureHeadroom(3000).ok());
}

TEST_F(PgRecordLogTest, EvictedSegmentsAreReadBackFromPostgres) {
  PgLogOptions options;
  options.segment_size = 16 << 10;
  options.cache_bytes = 32 << 10;
  OpenLog(Claim(), options);
  std::vector<std::pair<Location, std::string>> recs;
  for (int i = 0; i < 100; ++i) {
    std::string body = std::to_string(i) + std::string(900, 'a' + i % 26);
    recs.emplace_back(Append(body), body);
  }
  ASSERT_TRUE(AppendDurably("last").ok());
  ASSERT_GE(log_->CurrentSegment(), 6u);
  for (const auto& [loc, body] : recs) {
    std::string out;
    ASSERT_TRUE(log_->ReadAt(loc, body.size(), &out).ok());
    EXPECT_EQ(out, body);
  }
  EXPECT_GT(log_->Stats().segment_loads, 0u);
  EXPECT_LE(log_->Stats().cached_bytes, (32u << 10) + (16u << 10));
}

TEST_F(PgRecordLogTest, ALostConnectionFailsTheLogWithARetryableError) {
  OpenLog(Claim());
  ASSERT_TRUE(AppendDurably("committed").ok());
  ASSERT_TRUE(admin_
                  ->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = 'cmqd'")
                  .ok());
  Status answer = AppendDurably("in flight");
  EXPECT_EQ(answer.error(), ErrorCode::kStorageUnavailable) << answer.ToString();
  EXPECT_EQ(GetErrorInfo(answer.error()).code, 6000);
  EXPECT_TRUE(log_->Stats().failed);
}

// A server that stops answering (its processes stopped, as a machine that vanished
// looks) costs a commit its timeout, never a hang.
TEST(PgRecordLogStall, AServerThatStopsAnsweringFailsTheCommitWithinTheTimeout) {
  testing::PostgresServer server;
  ASSERT_TRUE(server.Start());
  std::string db = server.CreateDatabase();
  ASSERT_FALSE(db.empty());
  auto admin = PgConn::Connect(server.Dsn(db), "test", 10000);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(MigrateSchema(admin->get(), 1).ok());
  auto claim = TryClaim(admin->get(), 0, "node-a", "127.0.0.1:1", 60000);
  ASSERT_TRUE(claim.ok() && claim->claimed);
  PgLogOptions options;
  options.dsn = server.Dsn(db);
  options.epoch = claim->row.epoch;
  options.timeout_ms = 1000;
  auto opened = PgRecordLog::Open(env::PosixEnv(), options);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<PgRecordLog> log = std::move(opened).value();
  journal::FakeLoop loop;
  ASSERT_TRUE(log->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
  ASSERT_TRUE(log->Start(loop.Hook()).ok());

  std::vector<pid_t> pids = server.Processes();
  ASSERT_FALSE(pids.empty());
  for (pid_t pid : pids) kill(pid, SIGSTOP);
  std::string_view part("while the server is stopped");
  ASSERT_TRUE(log->Append(1, std::span<const std::string_view>(&part, 1)).ok());
  Status answer(ErrorCode::kInternal, "no answer");
  bool done = false;
  log->WhenDurable(log->LastAppended(), [&](const Status& s) {
    answer = s;
    done = true;
  });
  bool answered = loop.RunUntil(log.get(), [&] { return done; });
  for (pid_t pid : pids) kill(pid, SIGCONT);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answer.error(), ErrorCode::kStorageUnavailable) << answer.ToString();
  Status closed = log->Close();
  EXPECT_FALSE(closed.ok());
}

TEST_F(PgRecordLogTest, SchemaMigrationIsIdempotentAndRefusesANewerSchema) {
  EXPECT_TRUE(MigrateSchema(admin_.get(), 1).ok());
  EXPECT_EQ(PartitionCount(admin_.get()).value(), 1);
  ASSERT_TRUE(admin_->Exec("UPDATE cmq_schema SET version = 99").ok());
  Status s = MigrateSchema(admin_.get(), 1);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("version 99, newer than this cmqd"), std::string::npos)
      << s.ToString();
}

TEST_F(PgRecordLogTest, AVersionOneSchemaIsMigratedAndKeepsItsData) {
  ASSERT_TRUE(admin_->Exec("DROP TABLE cmq_credentials").ok());
  ASSERT_TRUE(admin_->Exec("UPDATE cmq_schema SET version = 1").ok());
  ASSERT_TRUE(TryClaim(admin_.get(), 0, "node-a", "10.0.0.1:8080", 60000).ok());
  ASSERT_TRUE(MigrateSchema(admin_.get(), 1).ok());
  EXPECT_EQ(admin_->Exec("SELECT version FROM cmq_schema")->GetInt(0, 0), kSchemaVersion);
  EXPECT_EQ(ListOwners(admin_.get()).value().at(0).owner, "node-a");
  EXPECT_FALSE(LoadKeyPair(admin_.get(), 1000000).value().has_value());
}

TEST_F(PgRecordLogTest, TheFirstKeyPairKeptIsTheOneEveryNodeGets) {
  auto first = KeepKeyPair(admin_.get(), 7, {"AKIDfirst", "key1"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->secret_id, "AKIDfirst");
  auto second = KeepKeyPair(admin_.get(), 7, {"AKIDsecond", "key2"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->secret_id, "AKIDfirst");
  EXPECT_EQ(second->secret_key, "key1");
  EXPECT_EQ(LoadKeyPair(admin_.get(), 7).value()->secret_id, "AKIDfirst");
}

TEST_F(PgRecordLogTest, LeasesDecideWhoMayClaimAndEpochsWhoMayRenew) {
  auto a = TryClaim(admin_.get(), 0, "node-a", "10.0.0.1:8080", 60000);
  ASSERT_TRUE(a.ok() && a->claimed);
  auto b = TryClaim(admin_.get(), 0, "node-b", "10.0.0.2:8080", 60000);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->claimed);
  EXPECT_EQ(b->row.owner, "node-a");
  EXPECT_EQ(b->row.owner_address, "10.0.0.1:8080");
  EXPECT_GT(b->row.lease_left_ms, 0);
  EXPECT_TRUE(RenewLease(admin_.get(), 0, a->row.epoch, 60000).ok());
  // An expired lease may be claimed; the old epoch can renew no more.
  ASSERT_TRUE(RenewLease(admin_.get(), 0, a->row.epoch, 0).ok());
  b = TryClaim(admin_.get(), 0, "node-b", "10.0.0.2:8080", 60000);
  ASSERT_TRUE(b.ok() && b->claimed);
  EXPECT_EQ(b->row.epoch, a->row.epoch + 1);
  EXPECT_EQ(RenewLease(admin_.get(), 0, a->row.epoch, 60000).error(), ErrorCode::kNotServing);
  // A release by the old epoch changes nothing.
  ASSERT_TRUE(ReleaseLease(admin_.get(), 0, a->row.epoch).ok());
  auto owners = ListOwners(admin_.get());
  ASSERT_TRUE(owners.ok());
  ASSERT_EQ(owners->size(), 1u);
  EXPECT_EQ((*owners)[0].owner, "node-b");
  ASSERT_TRUE(Heartbeat(admin_.get(), "node-b", "10.0.0.2:8080").ok());
  ASSERT_TRUE(Heartbeat(admin_.get(), "node-b", "10.0.0.2:8080").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM cmq_nodes"), 1);

  // The operators' view: the node, the owner under its epoch, the log's segments.
  ASSERT_TRUE(Heartbeat(admin_.get(), "node-c", "10.0.0.3:8080", /*starting=*/true).ok());
  OpenLog(b->row.epoch);
  ASSERT_TRUE(AppendDurably("one record").ok());
  auto view = ReadClusterView(admin_.get());
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->nodes.size(), 2u);
  EXPECT_EQ(view->nodes[0].node_id, "node-b");
  EXPECT_EQ(view->nodes[1].address, "10.0.0.3:8080");
  ASSERT_EQ(view->partitions.size(), 1u);
  EXPECT_EQ(view->partitions[0].owner, "node-b");
  EXPECT_EQ(view->partitions[0].epoch, b->row.epoch);
  ASSERT_EQ(view->logs.size(), 1u);
  EXPECT_GE(view->logs[0].segments, 1);
  EXPECT_GT(view->logs[0].bytes, 0);
  EXPECT_FALSE(view->server.empty());
  EXPECT_TRUE(view->standbys.empty());  // a lone server
}

}  // namespace
}  // namespace cmq::pglog
