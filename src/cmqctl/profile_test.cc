#include "profile.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace cmqctl {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ParsedArgs Flags(std::vector<std::pair<std::string, std::string>> flags) {
  ParsedArgs args;
  for (auto& [k, v] : flags) args.Add(k, v);
  return args;
}

ProfileStore Store(std::string_view text) {
  std::string error;
  std::optional<ProfileStore> s = ProfileStore::Parse(text, &error);
  EXPECT_TRUE(s.has_value()) << error;
  return s.value_or(ProfileStore());
}

constexpr char kTwoProfiles[] =
    "# comment\n"
    "current = dev\n"
    "\n"
    "[dev]\n"
    "endpoint = http://dev:8080\n"
    "secret_id = AKIDdev\n"
    "secret_key = key#with=chars  \n"
    "\n"
    "[prod]\n"
    "endpoint=http://prod:8080\n"
    "secret_id=AKIDprod\n"
    "secret_key=prodkey\n"
    "sign = sha1\n"
    "method = get\n"
    "timeout = 30\n";

TEST(ProfileStoreTest, ParsesSectionsKeysAndCurrent) {
  ProfileStore s = Store(kTwoProfiles);
  EXPECT_EQ(s.current(), "dev");
  ASSERT_EQ(s.profiles().size(), 2u);
  const Profile* dev = s.Find("dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(*dev->Get("endpoint"), "http://dev:8080");
  EXPECT_EQ(*dev->Get("secret_key"), "key#with=chars");  // values run to the line end
  EXPECT_EQ(dev->Get("sign"), nullptr);
  EXPECT_EQ(s.Find("nope"), nullptr);
}

TEST(ProfileStoreTest, RejectsMalformedLinesWithLineNumbers) {
  std::string error;
  EXPECT_FALSE(ProfileStore::Parse("[dev\n", &error));
  EXPECT_EQ(error, "line 1: unterminated section header");
  EXPECT_FALSE(ProfileStore::Parse("[dev]\nendpoint\n", &error));
  EXPECT_EQ(error, "line 2: expected 'key = value'");
  EXPECT_FALSE(ProfileStore::Parse("endpoint = x\n", &error));
  EXPECT_EQ(error, "line 1: 'endpoint' outside a [profile]");
  EXPECT_FALSE(ProfileStore::Parse("[bad name]\n", &error));
  EXPECT_EQ(error, "line 1: bad profile name 'bad name'");
}

TEST(ProfileStoreTest, SerializeRoundTrips) {
  ProfileStore s = Store(kTwoProfiles);
  s.GetOrAdd("new").Set("endpoint", "http://new");
  s.GetOrAdd("dev").Set("endpoint", "http://dev2");
  ProfileStore again = Store(s.Serialize());
  EXPECT_EQ(again.current(), "dev");
  ASSERT_EQ(again.profiles().size(), 3u);
  EXPECT_EQ(*again.Find("dev")->Get("endpoint"), "http://dev2");
  EXPECT_EQ(*again.Find("dev")->Get("secret_key"), "key#with=chars");
  EXPECT_EQ(*again.Find("new")->Get("endpoint"), "http://new");
  EXPECT_EQ(*again.Find("prod")->Get("method"), "get");
}

TEST(ProfileStoreTest, RemoveClearsCurrent) {
  ProfileStore s = Store(kTwoProfiles);
  EXPECT_TRUE(s.Remove("dev"));
  EXPECT_EQ(s.current(), "");
  EXPECT_FALSE(s.Remove("dev"));
  EXPECT_TRUE(s.Remove("prod"));
  EXPECT_TRUE(s.profiles().empty());
}

TEST(ResolveSettingsTest, FlagsBeatEnvironmentBeatProfileBeatDefaults) {
  ProfileStore store = Store(kTwoProfiles);
  std::string error;
  // Only the profile (the current one, dev).
  auto s = ResolveSettings(Flags({}), FakeEnv({}), store, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->profile, "dev");
  EXPECT_EQ(s->endpoint.value, "http://dev:8080");
  EXPECT_EQ(s->endpoint.source, Source::kProfile);
  EXPECT_EQ(s->sign.value, "sha256");
  EXPECT_EQ(s->sign.source, Source::kDefault);
  EXPECT_EQ(s->method.value, "POST");
  EXPECT_EQ(s->timeout_seconds, 10);

  // The environment overrides the profile.
  s = ResolveSettings(Flags({}), FakeEnv({{"CMQ_ENDPOINT", "http://env"}}), store, &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->endpoint.value, "http://env");
  EXPECT_EQ(s->endpoint.source, Source::kEnv);
  EXPECT_EQ(s->secret_id.value, "AKIDdev");

  // Flags override both.
  s = ResolveSettings(Flags({{"endpoint", "http://flag"}, {"secret-key", "k"}}),
                      FakeEnv({{"CMQ_ENDPOINT", "http://env"}, {"CMQ_SECRET_KEY", "envkey"}}),
                      store, &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->endpoint.value, "http://flag");
  EXPECT_EQ(s->endpoint.source, Source::kFlag);
  EXPECT_EQ(s->secret_key.value, "k");
  EXPECT_EQ(s->secret_id.source, Source::kProfile);
}

TEST(ResolveSettingsTest, ProfileChoiceFlagThenEnvThenCurrentThenDefault) {
  ProfileStore store = Store(kTwoProfiles);
  std::string error;
  auto s = ResolveSettings(Flags({{"profile", "prod"}}), FakeEnv({{"CMQ_PROFILE", "dev"}}), store,
                           &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->profile, "prod");
  EXPECT_EQ(s->sign.value, "sha1");
  EXPECT_EQ(s->method.value, "GET");  // normalised
  EXPECT_EQ(s->timeout_seconds, 30);

  s = ResolveSettings(Flags({}), FakeEnv({{"CMQ_PROFILE", "prod"}}), store, &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->profile, "prod");

  ProfileStore no_current = Store("[default]\nendpoint = http://d\n[other]\nendpoint = http://o\n");
  s = ResolveSettings(Flags({}), FakeEnv({}), no_current, &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->profile, "default");
  EXPECT_EQ(s->endpoint.value, "http://d");

  s = ResolveSettings(Flags({}), FakeEnv({}), ProfileStore(), &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->profile, "");
  EXPECT_EQ(s->endpoint.value, "");
}

TEST(ResolveSettingsTest, NamedProfileMustExist) {
  std::string error;
  EXPECT_FALSE(
      ResolveSettings(Flags({{"profile", "ghost"}}), FakeEnv({}), Store(kTwoProfiles), &error));
  EXPECT_NE(error.find("no profile named 'ghost'"), std::string::npos);
  EXPECT_FALSE(
      ResolveSettings(Flags({}), FakeEnv({{"CMQ_PROFILE", "ghost"}}), ProfileStore(), &error));
}

TEST(ResolveSettingsTest, BadValuesNameTheirSource) {
  std::string error;
  EXPECT_FALSE(ResolveSettings(Flags({{"sign", "md5"}}), FakeEnv({}), ProfileStore(), &error));
  EXPECT_EQ(error, "--sign: 'md5' is not sha1 or sha256");
  EXPECT_FALSE(ResolveSettings(Flags({}), FakeEnv({}), Store("[default]\nmethod = PUT\n"), &error));
  EXPECT_EQ(error, "method (from profile): 'PUT' is not GET or POST");
  EXPECT_FALSE(ResolveSettings(Flags({{"timeout", "0"}}), FakeEnv({}), ProfileStore(), &error));
  EXPECT_NE(error.find("--timeout"), std::string::npos);
  auto s = ResolveSettings(Flags({{"sign", "HmacSHA1"}}), FakeEnv({}), ProfileStore(), &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->sign.value, "sha1");
}

TEST(ProfilePathTest, OverrideThenXdgThenHome) {
  EXPECT_EQ(ProfilePath(FakeEnv({{"CMQ_PROFILE_FILE", "/x/p"}, {"HOME", "/h"}})), "/x/p");
  EXPECT_EQ(ProfilePath(FakeEnv({{"XDG_CONFIG_HOME", "/cfg"}, {"HOME", "/h"}})),
            "/cfg/cmq/profiles");
  EXPECT_EQ(ProfilePath(FakeEnv({{"HOME", "/h"}})), "/h/.config/cmq/profiles");
}

TEST(ProfileFileTest, SaveCreatesDirectoriesWithPrivateModeAndLoadReadsBack) {
  char tmpl[] = "/tmp/cmqctl-profile-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/a/b/profiles";
  ProfileStore store;
  std::string error;
  ASSERT_TRUE(LoadProfiles(path, &store, &error)) << error;  // missing file: empty
  EXPECT_TRUE(store.profiles().empty());
  store.GetOrAdd("dev").Set("secret_key", "s3cret");
  store.set_current("dev");
  ASSERT_TRUE(SaveProfiles(path, store, &error)) << error;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ProfileStore loaded;
  ASSERT_TRUE(LoadProfiles(path, &loaded, &error)) << error;
  EXPECT_EQ(loaded.current(), "dev");
  EXPECT_EQ(*loaded.Find("dev")->Get("secret_key"), "s3cret");

  std::ofstream(path) << "[broken\n";
  EXPECT_FALSE(LoadProfiles(path, &loaded, &error));
  EXPECT_NE(error.find(path + ": line 1"), std::string::npos) << error;
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace cmqctl
