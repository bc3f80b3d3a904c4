#include "server/credentials.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cmq::server {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = env::NewMemEnv(&clock_);
    ASSERT_TRUE(env_->CreateDir("/data").ok());
    config_.data_dir = "/data";
  }

  void WriteKept(const std::string& text) {
    auto file = env_->Open("/data/credentials", env::OpenMode::kCreateOrOpen);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->PWrite(0, text).ok());
  }

  void Give(const std::string& id, const std::string& key) {
    config_.secret_id = id;
    config_.secret_key = key;
    config_.secret_origin = "--secret-id/--secret-key";
  }

  env::FakeClock clock_;
  std::unique_ptr<env::Env> env_;
  Config config_;
};

TEST_F(CredentialsTest, NoPairGivenGeneratesOneOnceAndKeepsIt) {
  Result<KeyPair> first = DefaultKeyPair(env_.get(), config_);
  ASSERT_TRUE(first.ok()) << first.status().detail();
  EXPECT_EQ(first->secret_id.rfind("AKID", 0), 0u);
  EXPECT_EQ(first->secret_id.size(), 36u);
  EXPECT_EQ(first->secret_key.size(), 32u);
  EXPECT_TRUE(env_->Exists("/data/credentials"));

  Result<KeyPair> again = DefaultKeyPair(env_.get(), config_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->secret_id, first->secret_id);
  EXPECT_EQ(again->secret_key, first->secret_key);
}

TEST_F(CredentialsTest, AGivenPairIsUsedAndNotWrittenDown) {
  Give("AKIDgiven", "given-key");
  Result<KeyPair> pair = DefaultKeyPair(env_.get(), config_);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->secret_id, "AKIDgiven");
  EXPECT_EQ(pair->secret_key, "given-key");
  EXPECT_FALSE(env_->Exists("/data/credentials"));
}

TEST_F(CredentialsTest, AGivenPairEqualToTheKeptOneIsUsed) {
  WriteKept("secret_id=AKIDkept\nsecret_key=kept-key\n");
  Give("AKIDkept", "kept-key");
  Result<KeyPair> pair = DefaultKeyPair(env_.get(), config_);
  ASSERT_TRUE(pair.ok()) << pair.status().detail();
  EXPECT_EQ(pair->secret_id, "AKIDkept");
}

TEST_F(CredentialsTest, AGivenPairThatDiffersFromTheKeptOneIsRefused) {
  WriteKept("secret_id=AKIDkept\nsecret_key=kept-key\n");
  Give("AKIDgiven", "given-key");
  Result<KeyPair> pair = DefaultKeyPair(env_.get(), config_);
  ASSERT_FALSE(pair.ok());
  const std::string& text = pair.status().detail();
  EXPECT_NE(text.find("from --secret-id/--secret-key (SecretId AKIDgiven)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("not the one kept in /data/credentials (SecretId AKIDkept)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("start without --secret-id/--secret-key"), std::string::npos) << text;
  EXPECT_NE(text.find("delete /data/credentials"), std::string::npos) << text;
  EXPECT_EQ(text.find("kept-key"), std::string::npos) << text;
  EXPECT_EQ(text.find("given-key"), std::string::npos) << text;

  // The same SecretId with another key is no more the kept pair.
  Give("AKIDkept", "given-key");
  pair = DefaultKeyPair(env_.get(), config_);
  ASSERT_FALSE(pair.ok());
  EXPECT_NE(pair.status().detail().find("(SecretId AKIDkept with another SecretKey)"),
            std::string::npos)
      << pair.status().detail();
}

TEST_F(CredentialsTest, ADamagedKeptFileIsNamed) {
  WriteKept("secret_id=AKIDkept\n");
  Result<KeyPair> pair = DefaultKeyPair(env_.get(), config_);
  ASSERT_FALSE(pair.ok());
  EXPECT_EQ(pair.status().detail(),
            "cannot read the credentials file /data/credentials: corrupt data: "
            "/data/credentials lacks secret_id or secret_key");
}

}  // namespace
}  // namespace cmq::server
