#include "server/startup_error.h"

#include <gtest/gtest.h>

namespace cmq::server {
namespace {

TEST(StartupErrorTest, SaysWhatFailedThenWhyWithoutInternalNames) {
  Status s = StartupError("cannot create the data directory /x/y",
                          Status(ErrorCode::kIoError, "mkdir /x: Permission denied"));
  EXPECT_EQ(s.error(), ErrorCode::kIoError);
  EXPECT_EQ(s.detail(), "cannot create the data directory /x/y: mkdir /x: Permission denied");
}

TEST(StartupErrorTest, NamesTheKindWhereTheDetailDoesNot) {
  EXPECT_EQ(StartupError("cannot recover the journal in /j",
                         Status(ErrorCode::kCorruption, "00000001.log at offset 96: bad CRC"))
                .detail(),
            "cannot recover the journal in /j: corrupt data: 00000001.log at offset 96: bad CRC");
  EXPECT_EQ(StartupError("cannot open the journal in /j",
                         Status(ErrorCode::kDiskFull, "fallocate /j/00000002.log: No space left"))
                .detail(),
            "cannot open the journal in /j: disk full: fallocate /j/00000002.log: No space left");
}

TEST(StartupErrorTest, OkStaysOk) { EXPECT_TRUE(StartupError("anything", Status::Ok()).ok()); }

}  // namespace
}  // namespace cmq::server
