#include "env/env.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "env/env_internal.h"
#include "env/fault_env.h"

namespace cmq::env {
namespace {

std::unique_ptr<File> MustOpen(Env* env, const std::string& path, OpenMode mode) {
  auto f = env->Open(path, mode);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

std::string ReadAll(File* f) {
  auto size = f->Size();
  EXPECT_TRUE(size.ok());
  std::string out;
  EXPECT_TRUE(f->PRead(0, *size, &out).ok());
  return out;
}

// The same contract checks run against the real and the memory environment.
class EnvContractTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      char tmpl[] = "/tmp/cmq_env_test_XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      root_ = tmpl;
      env_ = PosixEnv();
    } else {
      mem_ = NewMemEnv(&clock_);
      env_ = mem_.get();
      root_ = "/mem";
      ASSERT_TRUE(env_->CreateDir(root_).ok());
    }
  }
  void TearDown() override {
    if (GetParam()) std::filesystem::remove_all(root_);
  }
  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  FakeClock clock_;
  std::unique_ptr<Env> mem_;
  Env* env_ = nullptr;
  std::string root_;
};

TEST_P(EnvContractTest, WriteReadSizeTruncate) {
  auto f = MustOpen(env_, Path("a"), OpenMode::kCreateOrOpen);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->PWrite(0, "hello").ok());
  ASSERT_TRUE(f->PWrite(8, "world").ok());  // leaves a hole of zeros
  EXPECT_EQ(*f->Size(), 13u);
  std::string out;
  ASSERT_TRUE(f->PRead(3, 100, &out).ok());
  EXPECT_EQ(out, std::string("lo\0\0\0world", 10));
  ASSERT_TRUE(f->PRead(50, 10, &out).ok());
  EXPECT_EQ(out, "");
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(f->Truncate(4).ok());
  EXPECT_EQ(ReadAll(f.get()), "hell");
}

TEST_P(EnvContractTest, AllocateExtendsWithZeros) {
  auto f = MustOpen(env_, Path("alloc"), OpenMode::kCreateOrOpen);
  ASSERT_TRUE(f->PWrite(0, "xy").ok());
  ASSERT_TRUE(f->Allocate(0, 4096).ok());
  EXPECT_EQ(*f->Size(), 4096u);
  std::string out;
  ASSERT_TRUE(f->PRead(0, 4, &out).ok());
  EXPECT_EQ(out, std::string("xy\0\0", 4));
  ASSERT_TRUE(f->Allocate(0, 10).ok());  // never shrinks
  EXPECT_EQ(*f->Size(), 4096u);
}

TEST_P(EnvContractTest, WriteZerosOverwritesAndExtends) {
  auto f = MustOpen(env_, Path("zeros"), OpenMode::kCreateOrOpen);
  std::string data(3 * 4096, 'd');
  ASSERT_TRUE(f->PWrite(0, data).ok());
  // Block-aligned (the O_DIRECT path on real files), then unaligned, then past the end.
  ASSERT_TRUE(f->WriteZeros(4096, 4096).ok());
  ASSERT_TRUE(f->WriteZeros(10, 5).ok());
  ASSERT_TRUE(f->WriteZeros(3 * 4096, 2 * 4096).ok());
  ASSERT_TRUE(f->DataSync().ok());
  EXPECT_EQ(*f->Size(), 5u * 4096);
  std::string want = data + std::string(2 * 4096, '\0');
  want.replace(4096, 4096, std::string(4096, '\0'));
  want.replace(10, 5, std::string(5, '\0'));
  EXPECT_EQ(ReadAll(f.get()), want);
  // Buffered writes through the same handle still work afterwards.
  ASSERT_TRUE(f->PWrite(4097, "after").ok());
  std::string out;
  ASSERT_TRUE(f->PRead(4096, 7, &out).ok());
  EXPECT_EQ(out, std::string("\0after\0", 7));
}

TEST_P(EnvContractTest, OpenModes) {
  auto missing = env_->Open(Path("nope"), OpenMode::kReadWrite);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().error(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().detail().find("nope"), std::string::npos);
  EXPECT_FALSE(env_->Open(Path("nope"), OpenMode::kReadOnly).ok());
  EXPECT_FALSE(env_->Open(Path("nodir/file"), OpenMode::kCreateOrOpen).ok());

  auto w = MustOpen(env_, Path("f"), OpenMode::kCreateOrOpen);
  ASSERT_TRUE(w->PWrite(0, "abc").ok());
  auto r = MustOpen(env_, Path("f"), OpenMode::kReadOnly);
  EXPECT_EQ(ReadAll(r.get()), "abc");
  EXPECT_FALSE(r->PWrite(0, "x").ok());
  auto rw = MustOpen(env_, Path("f"), OpenMode::kReadWrite);
  EXPECT_EQ(ReadAll(rw.get()), "abc");
}

TEST_P(EnvContractTest, DirectoryOperations) {
  ASSERT_TRUE(env_->CreateDir(Path("x/y/z")).ok());
  ASSERT_TRUE(env_->CreateDir(Path("x/y/z")).ok());  // idempotent
  EXPECT_TRUE(env_->Exists(Path("x/y")));
  for (const char* name : {"c", "a", "b"}) {
    ASSERT_TRUE(MustOpen(env_, Path(std::string("x/") + name), OpenMode::kCreateOrOpen));
  }
  auto names = env_->ListDir(Path("x"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c", "y"}));
  EXPECT_FALSE(env_->ListDir(Path("missing")).ok());

  ASSERT_TRUE(env_->Rename(Path("x/a"), Path("x/d")).ok());
  EXPECT_FALSE(env_->Exists(Path("x/a")));
  EXPECT_TRUE(env_->Exists(Path("x/d")));
  ASSERT_TRUE(env_->Remove(Path("x/d")).ok());
  EXPECT_FALSE(env_->Exists(Path("x/d")));
  EXPECT_FALSE(env_->Remove(Path("x/d")).ok());
  EXPECT_TRUE(env_->SyncDir(Path("x")).ok());
  EXPECT_FALSE(env_->SyncDir(Path("missing")).ok());

  auto free_space = env_->FreeSpace(root_);
  ASSERT_TRUE(free_space.ok());
  EXPECT_GT(*free_space, 0u);
}

TEST_P(EnvContractTest, LockFileIsExclusive) {
  ASSERT_TRUE(env_->LockFile(Path("LOCK")).ok());
  EXPECT_TRUE(env_->Exists(Path("LOCK")));
  Status again = env_->LockFile(Path("LOCK"));
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.detail().find("LOCK"), std::string::npos);
}

TEST_P(EnvContractTest, ThreadRunsAndJoins) {
  std::atomic<int> ran{0};
  {
    auto t = env_->StartThread("cmq-test-thread-long-name", [&] { ran.fetch_add(1); });
    t->Join();
    EXPECT_EQ(ran.load(), 1);
    t->Join();  // idempotent
  }
  {
    auto t = env_->StartThread("t2", [&] { ran.fetch_add(1); });
  }  // destructor joins
  EXPECT_EQ(ran.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(PosixAndMem, EnvContractTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Posix" : "Mem"; });

TEST(PosixEnvTest, SystemClockIsWallTime) {
  int64_t now = SystemClock()->NowMs();
  EXPECT_GT(now, 1600000000000);  // after 2020
  EXPECT_EQ(PosixEnv()->clock(), SystemClock());
}

TEST(PosixEnvTest, ErrorsCarryPathAndReason) {
  auto f = PosixEnv()->Open("/nonexistent-cmq-dir/file", OpenMode::kReadOnly);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().detail().find("/nonexistent-cmq-dir/file"), std::string::npos);
  EXPECT_NE(f.status().detail().find("No such file"), std::string::npos);
}

TEST(ErrnoStatusTest, RunningOutOfDescriptorsIsNotAFullDisk) {
  Status s = internal::ErrnoStatus(EMFILE, "open", "/d/journal/0000000002.seg");
  EXPECT_EQ(s.error(), ErrorCode::kTooManyOpenFiles);
  EXPECT_EQ(s.detail(), "open /d/journal/0000000002.seg: Too many open files (EMFILE)");
  EXPECT_EQ(internal::ErrnoStatus(ENFILE, "open", "/d/x").error(), ErrorCode::kTooManyOpenFiles);
  EXPECT_EQ(internal::ErrnoStatus(ENOSPC, "fallocate", "/d/x").error(), ErrorCode::kDiskFull);
  EXPECT_EQ(internal::ErrnoStatus(EDQUOT, "pwrite", "/d/x").error(), ErrorCode::kDiskFull);
  EXPECT_EQ(internal::ErrnoStatus(ENOENT, "open", "/d/x").error(), ErrorCode::kNotFound);
  Status io = internal::ErrnoStatus(EIO, "fdatasync", "/d/x");
  EXPECT_EQ(io.error(), ErrorCode::kIoError);
  EXPECT_EQ(io.detail(), "fdatasync /d/x: Input/output error (EIO)");
}

// Lowers this process's soft open-file limit for the life of the object.
class ScopedOpenFileLimit {
 public:
  explicit ScopedOpenFileLimit(rlim_t soft) {
    EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &saved_), 0);
    rlimit lowered = saved_;
    lowered.rlim_cur = std::min(soft, saved_.rlim_cur);
    EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  ~ScopedOpenFileLimit() { EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &saved_), 0); }

 private:
  rlimit saved_{};
};

TEST(PosixEnvTest, OpeningBeyondTheOpenFileLimitIsTooManyOpenFiles) {
  char tmpl[] = "/tmp/cmq_env_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::vector<std::unique_ptr<File>> files;
  Status failed;
  {
    ScopedOpenFileLimit limit(64);
    for (int i = 0; i < 64 && failed.ok(); ++i) {
      auto f = PosixEnv()->Open(dir + "/f" + std::to_string(i), OpenMode::kCreateOrOpen);
      if (f.ok()) {
        files.push_back(std::move(f).value());
      } else {
        failed = f.status();
      }
    }
  }
  // Closed once the limit is back up: UBSan's vptr check needs a descriptor (a pipe).
  files.clear();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(failed.error(), ErrorCode::kTooManyOpenFiles) << failed.ToString();
  EXPECT_NE(failed.detail().find(dir + "/f"), std::string::npos) << failed.ToString();
  EXPECT_NE(failed.detail().find("(EMFILE)"), std::string::npos) << failed.ToString();
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.Advance(500);
  EXPECT_EQ(clock.NowMs(), 1500);
  clock.Set(7);
  EXPECT_EQ(clock.NowMs(), 7);
}

class MemEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = NewMemEnv(&clock_);
    fault_ = std::make_unique<FaultEnv>(base_.get());
    ASSERT_TRUE(fault_->CreateDir("/d").ok());
  }
  std::string Contents(const std::string& path) {
    auto f = MustOpen(fault_.get(), path, OpenMode::kReadOnly);
    return f ? ReadAll(f.get()) : "<missing>";
  }

  FakeClock clock_;
  std::unique_ptr<Env> base_;
  std::unique_ptr<FaultEnv> fault_;
};

TEST_F(MemEnvTest, UsesGivenClock) { EXPECT_EQ(base_->clock(), &clock_); }

TEST_F(MemEnvTest, PowerLossKeepsOnlySyncedBytes) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  ASSERT_TRUE(f->PWrite(0, "synced").ok());
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(f->PWrite(6, "-lost").ok());
  ASSERT_TRUE(f->PWrite(0, "S").ok());
  EXPECT_EQ(ReadAll(f.get()), "Synced-lost");

  fault_->DropUnsyncedData();
  EXPECT_EQ(Contents("/d/f"), "synced");
  // The old handle is dead; a new one works.
  EXPECT_FALSE(f->PWrite(0, "x").ok());
  EXPECT_FALSE(f->Size().ok());
  auto g = MustOpen(fault_.get(), "/d/f", OpenMode::kReadWrite);
  ASSERT_TRUE(g->PWrite(0, "again").ok());
  EXPECT_EQ(ReadAll(g.get()), "againd");
}

TEST_F(MemEnvTest, PowerLossDropsEntriesNotMadeDurable) {
  // Durable entry, data never synced: comes back empty.
  auto b = MustOpen(fault_.get(), "/d/b", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  ASSERT_TRUE(b->PWrite(0, "bbb").ok());
  // Synced data, entry created after the SyncDir: gone.
  auto a = MustOpen(fault_.get(), "/d/a", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(a->PWrite(0, "aaa").ok());
  ASSERT_TRUE(a->DataSync().ok());
  // A directory synced elsewhere does not help.
  ASSERT_TRUE(fault_->CreateDir("/e").ok());
  auto c = MustOpen(fault_.get(), "/d/c", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(c->DataSync().ok());
  ASSERT_TRUE(fault_->SyncDir("/e").ok());
  // Removed without a SyncDir afterwards: undone.
  ASSERT_TRUE(fault_->Remove("/d/b").ok());

  fault_->DropUnsyncedData();
  EXPECT_FALSE(fault_->Exists("/d/a"));
  EXPECT_TRUE(fault_->Exists("/d/b"));
  EXPECT_EQ(Contents("/d/b"), "");
  EXPECT_FALSE(fault_->Exists("/d/c"));
  EXPECT_TRUE(fault_->Exists("/d"));
}

TEST_F(MemEnvTest, CreatedDirectoriesSurvivePowerLoss) {
  ASSERT_TRUE(fault_->CreateDir("/d/data/journal").ok());
  ASSERT_TRUE(fault_->CreateDir("/top").ok());
  auto f = MustOpen(fault_.get(), "/d/data/journal/seg", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->PWrite(0, "kept").ok());
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(fault_->SyncDir("/d/data/journal").ok());
  fault_->DropUnsyncedData();
  EXPECT_TRUE(fault_->Exists("/top"));
  EXPECT_TRUE(fault_->Exists("/d/data"));
  EXPECT_EQ(Contents("/d/data/journal/seg"), "kept");
}

TEST_F(MemEnvTest, DirectoryEntriesNeedTheirParentSynced) {
  ASSERT_TRUE(fault_->CreateDir("/d/sub").ok());
  auto f = MustOpen(fault_.get(), "/d/sub/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(fault_->SyncDir("/d/sub").ok());
  f.reset();
  // Removing the directory is undone by a power loss until its parent is synced, and
  // then the directory is gone with everything in it.
  ASSERT_TRUE(fault_->Remove("/d/sub/f").ok());
  ASSERT_TRUE(fault_->Remove("/d/sub").ok());
  fault_->DropUnsyncedData();
  EXPECT_TRUE(fault_->Exists("/d/sub/f"));
  ASSERT_TRUE(fault_->Remove("/d/sub/f").ok());
  ASSERT_TRUE(fault_->Remove("/d/sub").ok());
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  fault_->DropUnsyncedData();
  EXPECT_FALSE(fault_->Exists("/d/sub"));
}

TEST_F(MemEnvTest, PartialPowerLossKeepsWholePagesOfEitherImage) {
  constexpr uint64_t kPage = 512;
  constexpr int kPages = 64;
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  ASSERT_TRUE(f->PWrite(0, std::string(kPage * kPages, 'o')).ok());
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(f->PWrite(0, std::string(kPage * kPages, 'n')).ok());
  fault_->DropSomeUnsyncedData(/*seed=*/42, kPage);
  std::string after = Contents("/d/f");
  ASSERT_EQ(after.size(), kPage * kPages);
  int kept = 0;
  for (int i = 0; i < kPages; ++i) {
    std::string_view page = std::string_view(after).substr(i * kPage, kPage);
    char c = page[0];
    ASSERT_TRUE(c == 'o' || c == 'n') << i;
    EXPECT_EQ(page.find_first_not_of(c), std::string_view::npos) << "page " << i << " is mixed";
    kept += c == 'n';
  }
  // Some of each (the chance of all 64 alike is 2^-63; the seed fixes the outcome).
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, kPages);
}

TEST_F(MemEnvTest, SyncDirMakesRenameAndRemoveDurable) {
  auto a = MustOpen(fault_.get(), "/d/a", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(a->PWrite(0, "data").ok());
  ASSERT_TRUE(a->DataSync().ok());
  auto gone = MustOpen(fault_.get(), "/d/gone", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  ASSERT_TRUE(fault_->Rename("/d/a", "/d/b").ok());
  ASSERT_TRUE(fault_->Remove("/d/gone").ok());
  ASSERT_TRUE(fault_->SyncDir("/d").ok());

  fault_->DropUnsyncedData();
  EXPECT_FALSE(fault_->Exists("/d/a"));
  EXPECT_FALSE(fault_->Exists("/d/gone"));
  EXPECT_EQ(Contents("/d/b"), "data");
}

TEST_F(MemEnvTest, TruncateThenGrowIsSyncedCorrectly) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(fault_->SyncDir("/d").ok());
  ASSERT_TRUE(f->PWrite(0, "0123456789").ok());
  ASSERT_TRUE(f->DataSync().ok());
  ASSERT_TRUE(f->Truncate(3).ok());
  ASSERT_TRUE(f->Allocate(0, 10).ok());
  ASSERT_TRUE(f->DataSync().ok());
  fault_->DropUnsyncedData();
  EXPECT_EQ(Contents("/d/f"), std::string("012\0\0\0\0\0\0\0", 10));
}

TEST_F(MemEnvTest, AbsurdSizesAreErrorsNotCrashes) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  EXPECT_EQ(f->PWrite(UINT64_MAX - 1, "xx").error(), ErrorCode::kDiskFull);
  EXPECT_EQ(f->Allocate(1ull << 50, 1).error(), ErrorCode::kDiskFull);
  EXPECT_EQ(f->Truncate(UINT64_MAX).error(), ErrorCode::kDiskFull);
}

TEST_F(MemEnvTest, DirectoryRules) {
  EXPECT_FALSE(fault_->Open("/d", OpenMode::kCreateOrOpen).ok());
  ASSERT_TRUE(MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen));
  EXPECT_FALSE(fault_->CreateDir("/d/f/sub").ok());
  EXPECT_FALSE(fault_->Remove("/d").ok());  // not empty
  ASSERT_TRUE(fault_->Remove("/d/f").ok());
  ASSERT_TRUE(fault_->Remove("/d").ok());
  EXPECT_FALSE(fault_->Exists("/d"));
}

TEST_F(MemEnvTest, FailSyncFailsFileAndDirectorySync) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  fault_->SetFailSync(true);
  Status s = f->DataSync();
  EXPECT_EQ(s.error(), ErrorCode::kIoError);
  EXPECT_NE(s.detail().find("/d/f"), std::string::npos);
  EXPECT_FALSE(fault_->SyncDir("/d").ok());
  fault_->SetFailSync(false);
  EXPECT_TRUE(f->DataSync().ok());
  EXPECT_TRUE(fault_->SyncDir("/d").ok());
}

TEST_F(MemEnvTest, ShortWritesWriteHalfThenFail) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  fault_->FailNextWrites(2);
  EXPECT_FALSE(f->PWrite(0, "abcdefgh").ok());
  EXPECT_EQ(ReadAll(f.get()), "abcd");
  EXPECT_FALSE(f->PWrite(0, "wxyz").ok());
  EXPECT_TRUE(f->PWrite(4, "1234").ok());
  EXPECT_EQ(ReadAll(f.get()), "wxcd1234");
}

TEST_F(MemEnvTest, DiskFullRefusesGrowthButNotReservedSpace) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  ASSERT_TRUE(f->Allocate(0, 100).ok());
  fault_->SetDiskFull(true);
  EXPECT_EQ(*fault_->FreeSpace("/d"), 0u);
  EXPECT_EQ(f->Allocate(0, 200).error(), ErrorCode::kDiskFull);
  EXPECT_EQ(f->PWrite(98, "abc").error(), ErrorCode::kDiskFull);
  EXPECT_TRUE(f->PWrite(97, "abc").ok());
  EXPECT_TRUE(f->Allocate(0, 50).ok());
  fault_->SetDiskFull(false);
  EXPECT_TRUE(f->Allocate(0, 200).ok());
  EXPECT_GT(*fault_->FreeSpace("/d"), 0u);
}

TEST_F(MemEnvTest, ConcurrentWritersAndReaders) {
  auto f = MustOpen(fault_.get(), "/d/f", OpenMode::kCreateOrOpen);
  auto g = MustOpen(fault_.get(), "/d/f", OpenMode::kReadOnly);
  constexpr int kWrites = 2000;
  auto writer = fault_->StartThread("writer", [&] {
    for (int i = 0; i < kWrites; ++i) ASSERT_TRUE(f->PWrite(i * 4, "abcd").ok());
  });
  std::string out;
  for (int i = 0; i < kWrites; ++i) ASSERT_TRUE(g->PRead(0, 4, &out).ok());
  writer->Join();
  EXPECT_EQ(*g->Size(), kWrites * 4u);
}

}  // namespace
}  // namespace cmq::env
