#include "server/config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace cmq::server {
namespace {

Status Parse(std::vector<std::string> args, Config* config, bool* help) {
  args.insert(args.begin(), "cmqd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), config, help);
}

std::string WriteFile(const std::string& text) {
  char path[] = "/tmp/cmqd-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, FlagsSetListenDataDirAndKeys) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--listen", "0.0.0.0:9000", "--data-dir=/tmp/x", "--secret-id", "AKIDa",
                     "--secret-key", "k"},
                    &c, &help)
                  .ok());
  EXPECT_FALSE(help);
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.secret_id, "AKIDa");
  EXPECT_EQ(c.secret_key, "k");
}

TEST(ConfigTest, HelpShortCircuits) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--listen", "1.2.3.4:5", "--help"}, &c, &help).ok());
  EXPECT_TRUE(help);
  EXPECT_NE(ConfigHelp().find("durability"), std::string::npos);
}

TEST(ConfigTest, RejectsBadValuesWithTheirName) {
  Config c;
  bool help;
  Status s = Parse({"--listen", "nope"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("listen"), std::string::npos);
  s = Parse({"--timestamp-skew-seconds", "abc"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("timestamp_skew_seconds"), std::string::npos);
  EXPECT_FALSE(Parse({"--no-such-setting", "1"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--secret-id", "only-id"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--durability", "sometimes"}, &c, &help).ok());
  EXPECT_FALSE(Parse({"--listen"}, &c, &help).ok());
}

TEST(ConfigTest, TlsSettingsComeWithTheirFiles) {
  bool help;
  Config c;
  ASSERT_TRUE(Parse({"--tls-listen", "0.0.0.0:8443", "--tls-cert-file", "/etc/cmq/c.pem",
                     "--tls-key-file", "/etc/cmq/k.pem", "--admin-tls", "true"},
                    &c, &help)
                  .ok());
  EXPECT_EQ(c.tls_host, "0.0.0.0");
  EXPECT_EQ(c.tls_port, 8443);
  EXPECT_EQ(c.tls_cert_file, "/etc/cmq/c.pem");
  EXPECT_EQ(c.tls_key_file, "/etc/cmq/k.pem");
  EXPECT_TRUE(c.admin_tls);
  Config d;
  Status s = Parse({"--tls-listen", "127.0.0.1:8443", "--tls-cert-file", "c.pem"}, &d, &help);
  EXPECT_NE(s.detail().find("tls_listen needs tls_cert_file and tls_key_file"), std::string::npos)
      << s.detail();
  Config e;
  s = Parse({"--admin-tls", "true"}, &e, &help);
  EXPECT_NE(s.detail().find("admin_tls needs"), std::string::npos) << s.detail();
  Config f;
  s = Parse({"--tls-cert-file", "c.pem", "--tls-key-file", "k.pem"}, &f, &help);
  EXPECT_NE(s.detail().find("used only with tls_listen or admin_tls"), std::string::npos)
      << s.detail();
}

TEST(ConfigTest, JournalTunables) {
  Config c;
  bool help;
  EXPECT_EQ(c.prepared_segments, 2);
  EXPECT_EQ(c.ride_along_ms, 5);
  ASSERT_TRUE(Parse({"--prepared-segments", "0", "--ride-along-ms", "0"}, &c, &help).ok());
  EXPECT_EQ(c.prepared_segments, 0);
  EXPECT_EQ(c.ride_along_ms, 0);
  Status s = Parse({"--prepared-segments", "9"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("prepared_segments"), std::string::npos) << s.detail();
  EXPECT_NE(ConfigHelp().find("prepared_segments"), std::string::npos);
}

TEST(ConfigTest, DistributedModeSettings) {
  Config c;
  bool help;
  EXPECT_EQ(c.storage, Config::Storage::kEmbedded);
  ASSERT_TRUE(Parse({"--storage", "postgres", "--postgres-dsn", "host=a,b dbname=cmq",
                     "--node-id", "n1", "--advertise", "10.0.0.1:8080", "--lease-ms", "9000",
                     "--postgres-timeout-ms", "2000", "--postgres-max-log-mb", "512",
                     "--postgres-cache-mb", "64"},
                    &c, &help)
                  .ok());
  EXPECT_EQ(c.storage, Config::Storage::kPostgres);
  EXPECT_EQ(c.postgres.dsn, "host=a,b dbname=cmq");
  EXPECT_EQ(c.postgres.node_id, "n1");
  EXPECT_EQ(c.postgres.advertise, "10.0.0.1:8080");
  EXPECT_EQ(c.postgres.lease_ms, 9000);
  EXPECT_EQ(c.postgres.timeout_ms, 2000);
  EXPECT_EQ(c.postgres.max_log_bytes, 512ull << 20);
  EXPECT_EQ(c.postgres.cache_bytes, 64ull << 20);
  // Wrong or missing pieces are named.
  Config d;
  Status s = Parse({"--storage", "postgres"}, &d, &help);
  EXPECT_NE(s.detail().find("postgres_dsn"), std::string::npos) << s.detail();
  Config e;
  s = Parse({"--storage", "postgres", "--postgres-dsn", "x", "--lease-ms", "1000"}, &e, &help);
  EXPECT_NE(s.detail().find("at least twice postgres_timeout_ms"), std::string::npos)
      << s.detail();
  Config f;
  s = Parse({"--storage", "etcd"}, &f, &help);
  EXPECT_NE(s.detail().find("embedded or postgres"), std::string::npos) << s.detail();
  Config g;
  EXPECT_FALSE(Parse({"--partitions", "2"}, &g, &help).ok());  // one in this release
  for (const char* key : {"storage", "postgres_dsn", "node_id", "advertise", "lease_ms",
                          "postgres_timeout_ms", "postgres_max_log_mb", "postgres_cache_mb"}) {
    EXPECT_NE(ConfigHelp().find(key), std::string::npos) << key;
  }
}

TEST(ConfigTest, FileDefinesAccountsAndTunablesFlagsWin) {
  std::string path = WriteFile(
      "# comment\n"
      "listen = 127.0.0.1:7000\n"
      "durability = relaxed\n"
      "max_polling_wait_seconds = 20\n"
      "public_hosts = a.example, b.example:8080\n"
      "[account]\n"
      "app_id = 1300000001\n"
      "secret_id = AKIDone\n"
      "secret_key = \"key one\"\n"
      "[account]\n"
      "app_id = 1300000002\n"
      "secret_id = AKIDtwo\n"
      "secret_key = two\n"
      "enabled = false\n");
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--config", path, "--listen", "127.0.0.1:7001"}, &c, &help).ok());
  EXPECT_EQ(c.listen_port, 7001);
  EXPECT_TRUE(c.relaxed_durability);
  EXPECT_EQ(c.api.limits.max_polling_wait_seconds, 20);
  ASSERT_EQ(c.api.verify.public_hosts.size(), 2u);
  EXPECT_EQ(c.api.verify.public_hosts[1], "b.example:8080");
  ASSERT_EQ(c.accounts.size(), 2u);
  EXPECT_EQ(c.accounts[0].secret_key, "key one");
  EXPECT_EQ(c.accounts[1].app_id, 1300000002u);
  EXPECT_FALSE(c.accounts[1].enabled);
  std::remove(path.c_str());
}

TEST(ConfigTest, FileErrorsNameTheLine) {
  std::string path = WriteFile("listen = 127.0.0.1:1\nbogus = 3\n");
  Config c;
  Status s = LoadConfigFile(path, &c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find(":2:"), std::string::npos) << s.detail();
  std::remove(path.c_str());
  path = WriteFile("[account]\napp_id = 5\n");
  EXPECT_FALSE(LoadConfigFile(path, &c).ok());  // lacks keys
  std::remove(path.c_str());
  EXPECT_FALSE(LoadConfigFile("/nonexistent/cmqd.conf", &c).ok());
}

TEST(ConfigTest, TopicAndPushDefaults) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({}, &c, &help).ok());
  EXPECT_EQ(c.push.timeout_ms, 15000);
  EXPECT_EQ(c.push.max_outstanding_per_endpoint, 16);
  EXPECT_TRUE(c.push.verify_tls);
  const broker::TopicLimits& t = c.api.limits.topics;
  EXPECT_EQ(t.max_topics_per_account, 1000);
  EXPECT_EQ(t.max_subscriptions_per_topic, 100);
  EXPECT_EQ(t.publish_qps_per_topic, 5000);
  EXPECT_EQ(t.backoff_retry_min_seconds, 10);
  EXPECT_EQ(t.backoff_retry_max_seconds, 20);
  for (const char* key :
       {"push_timeout_seconds = 15", "push_max_outstanding_per_endpoint = 16",
        "push_verify_tls = true", "max_topics_per_account = 1000",
        "max_subscriptions_per_topic = 100", "publish_qps_per_topic = 5000",
        "backoff_retry_min_seconds = 10", "backoff_retry_max_seconds = 20"}) {
    EXPECT_NE(ConfigHelp().find(key), std::string::npos) << key;
  }
}

TEST(ConfigTest, TopicAndPushFlags) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--push-timeout-seconds", "3", "--push-max-outstanding-per-endpoint", "4",
                     "--push-verify-tls", "false", "--max-topics-per-account", "7",
                     "--max-subscriptions-per-topic", "8", "--publish-qps-per-topic", "0",
                     "--backoff-retry-min-seconds", "1", "--backoff-retry-max-seconds", "1"},
                    &c, &help)
                  .ok());
  EXPECT_EQ(c.push.timeout_ms, 3000);
  EXPECT_EQ(c.push.max_outstanding_per_endpoint, 4);
  EXPECT_FALSE(c.push.verify_tls);
  const broker::TopicLimits& t = c.api.limits.topics;
  EXPECT_EQ(t.max_topics_per_account, 7);
  EXPECT_EQ(t.max_subscriptions_per_topic, 8);
  EXPECT_EQ(t.publish_qps_per_topic, 0);
  EXPECT_EQ(t.backoff_retry_min_seconds, 1);
  EXPECT_EQ(t.backoff_retry_max_seconds, 1);
}

TEST(ConfigTest, TopicAndPushSettingsInTheFile) {
  std::string path = WriteFile(
      "push_timeout_seconds = 30\n"
      "push_verify_tls = no\n"
      "max_subscriptions_per_topic = 1000\n"
      "backoff_retry_min_seconds = 19\n"
      "backoff_retry_max_seconds = 29\n");
  Config c;
  ASSERT_TRUE(LoadConfigFile(path, &c).ok());
  EXPECT_EQ(c.push.timeout_ms, 30000);
  EXPECT_FALSE(c.push.verify_tls);
  EXPECT_EQ(c.api.limits.topics.max_subscriptions_per_topic, 1000);
  EXPECT_EQ(c.api.limits.topics.backoff_retry_min_seconds, 19);
  EXPECT_EQ(c.api.limits.topics.backoff_retry_max_seconds, 29);
  std::remove(path.c_str());
  // A file whose range is only valid once a flag widens it.
  path = WriteFile("backoff_retry_min_seconds = 30\n");
  Config narrow;
  EXPECT_FALSE(LoadConfigFile(path, &narrow).ok());
  Config widened;
  bool help;
  EXPECT_TRUE(
      Parse({"--config", path, "--backoff-retry-max-seconds", "40"}, &widened, &help).ok());
  std::remove(path.c_str());
}

TEST(ConfigTest, PushNetworks) {
  Config defaults;
  bool help;
  ASSERT_TRUE(Parse({}, &defaults, &help).ok());
  EXPECT_TRUE(defaults.push_networks.deny.empty());
  EXPECT_TRUE(defaults.push_networks.allow.empty());
  for (const char* key : {"push_deny_networks =", "push_allow_networks =", "127.0.0.0/8",
                          "169.254.0.0/16", "fe80::/10", "cloud metadata"}) {
    EXPECT_NE(ConfigHelp().find(key), std::string::npos) << key;
  }

  std::string path = WriteFile(
      "push_deny_networks = 10.0.0.0/8, fd00::/8\n"
      "push_allow_networks = 127.0.0.0/8\n");
  Config file;
  ASSERT_TRUE(LoadConfigFile(path, &file).ok());
  EXPECT_EQ(file.push_networks.deny, (std::vector<IpNetwork>{*IpNetwork::Parse("10.0.0.0/8"),
                                                             *IpNetwork::Parse("fd00::/8")}));
  EXPECT_EQ(file.push_networks.allow, std::vector<IpNetwork>{*IpNetwork::Parse("127.0.0.0/8")});
  // A flag replaces the file's list; an empty one clears it.
  Config flags;
  ASSERT_TRUE(Parse({"--config", path, "--push-allow-networks", "10.1.0.0/16,192.0.2.7",
                     "--push-deny-networks="},
                    &flags, &help)
                  .ok());
  EXPECT_TRUE(flags.push_networks.deny.empty());
  EXPECT_EQ(flags.push_networks.allow, (std::vector<IpNetwork>{*IpNetwork::Parse("10.1.0.0/16"),
                                                               *IpNetwork::Parse("192.0.2.7/32")}));
  std::remove(path.c_str());

  for (const char* bad : {"10.0.0.1/8", "localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/8;"}) {
    Config c;
    Status s = Parse({"--push-deny-networks", bad}, &c, &help);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.detail().find("push_deny_networks"), std::string::npos) << s.detail();
    EXPECT_NE(s.detail().find(bad), std::string::npos) << s.detail();
  }
  Config typo;
  Status s = Parse({"--push-allow-networks", "127.0.0.1/8"}, &typo, &help);
  EXPECT_NE(s.detail().find("did you mean 127.0.0.0/8"), std::string::npos) << s.detail();
}

TEST(ConfigTest, TopicAndPushBadValues) {
  bool help;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--push-timeout-seconds", "0"},
           {"--push-timeout-seconds", "x"},
           {"--push-max-outstanding-per-endpoint", "0"},
           {"--push-verify-tls", "maybe"},
           {"--max-topics-per-account", "0"},
           {"--max-subscriptions-per-topic", "-1"},
           {"--publish-qps-per-topic", "-5"},
           {"--backoff-retry-min-seconds", "0"},
           {"--backoff-retry-max-seconds", "86401"},
           {"--backoff-retry-min-seconds", "21"},  // above the default max of 20
       }) {
    Config c;
    Status s = Parse(args, &c, &help);
    EXPECT_FALSE(s.ok()) << args[0] << " " << args[1];
    std::string key = args[0].substr(2);
    for (char& ch : key) {
      if (ch == '-') ch = '_';
    }
    EXPECT_NE(s.detail().find(key), std::string::npos) << s.detail();
  }
}

TEST(ConfigTest, SalvageIsAnExplicitSwitch) {
  Config c;
  bool help;
  EXPECT_FALSE(c.salvage);
  ASSERT_TRUE(Parse({"--salvage", "--listen", "127.0.0.1:1"}, &c, &help).ok());
  EXPECT_TRUE(c.salvage);
  EXPECT_EQ(c.listen_port, 1);  // --salvage took no value
  Config d;
  ASSERT_TRUE(Parse({"--salvage=false"}, &d, &help).ok());
  EXPECT_FALSE(d.salvage);
  EXPECT_FALSE(Parse({"--salvage=maybe"}, &d, &help).ok());
  EXPECT_NE(ConfigHelp().find("--salvage"), std::string::npos);
}

// Sets environment variables for one test and restores their absence after it.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      setenv(name, value, 1);
      names_.push_back(name);
    }
  }
  ~ScopedEnvironment() {
    for (const char* name : names_) unsetenv(name);
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::vector<const char*> names_;
};

TEST(ConfigTest, KeyPairFromFlagsOverEnvironmentOverConfigFile) {
  std::string file = WriteFile("secret_id = AKIDfile\nsecret_key = file-key\n");
  bool help;
  Config from_file;
  ASSERT_TRUE(Parse({"--config", file}, &from_file, &help).ok());
  EXPECT_EQ(from_file.secret_id, "AKIDfile");
  EXPECT_EQ(from_file.secret_key, "file-key");
  EXPECT_EQ(from_file.secret_origin, "secret_id/secret_key in " + file);

  ScopedEnvironment env({{"CMQ_SECRET_ID", "AKIDenv"}, {"CMQ_SECRET_KEY", "env-key"}});
  Config from_env;
  ASSERT_TRUE(Parse({"--config", file}, &from_env, &help).ok());
  EXPECT_EQ(from_env.secret_id, "AKIDenv");
  EXPECT_EQ(from_env.secret_key, "env-key");
  EXPECT_EQ(from_env.secret_origin, "CMQ_SECRET_ID/CMQ_SECRET_KEY");

  Config from_flags;
  ASSERT_TRUE(Parse({"--config", file, "--secret-id", "AKIDflag", "--secret-key", "flag-key"},
                    &from_flags, &help)
                  .ok());
  EXPECT_EQ(from_flags.secret_id, "AKIDflag");
  EXPECT_EQ(from_flags.secret_key, "flag-key");
  EXPECT_EQ(from_flags.secret_origin, "--secret-id/--secret-key");
  std::remove(file.c_str());
}

TEST(ConfigTest, NoKeyPairGivenLeavesItToTheDataDirectory) {
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--listen", "127.0.0.1:0"}, &c, &help).ok());
  EXPECT_EQ(c.secret_id, "");
  EXPECT_EQ(c.secret_origin, "");
}

TEST(ConfigTest, AKeyPairComesWholeFromOnePlace) {
  bool help;
  {
    // A SecretId from the environment does not pair with a SecretKey from a flag.
    ScopedEnvironment env({{"CMQ_SECRET_ID", "AKIDenv"}});
    Config c;
    Status s = Parse({"--secret-key", "flag-key"}, &c, &help);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.detail().find("CMQ_SECRET_ID/CMQ_SECRET_KEY: give both or neither"),
              std::string::npos)
        << s.detail();
  }
  std::string file = WriteFile("secret_id = AKIDfile\nsecret_key = file-key\n");
  Config c;
  Status s = Parse({"--config", file, "--secret-id", "AKIDflag"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("--secret-id/--secret-key: give both or neither"), std::string::npos)
      << s.detail();
  std::string half = WriteFile("secret_key = file-key\n");
  Config d;
  s = Parse({"--config", half}, &d, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("secret_id/secret_key in " + half + ": give both or neither"),
            std::string::npos)
      << s.detail();
  std::remove(file.c_str());
  std::remove(half.c_str());
}

TEST(ConfigTest, LogFormatAndAccessLog) {
  Config defaults;
  EXPECT_EQ(defaults.log_format, LogFormat::kText);
  EXPECT_EQ(defaults.access_log, "");
  Config c;
  bool help;
  ASSERT_TRUE(Parse({"--log-format", "json", "--access-log", "-"}, &c, &help).ok());
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_EQ(c.access_log, "-");
  std::string file = WriteFile("log_format = text\naccess_log = /var/log/cmq/access.log\n");
  Config f;
  ASSERT_TRUE(LoadConfigFile(file, &f).ok());
  EXPECT_EQ(f.log_format, LogFormat::kText);
  EXPECT_EQ(f.access_log, "/var/log/cmq/access.log");
  std::remove(file.c_str());
  Config bad;
  Status s = Parse({"--log-format", "xml"}, &bad, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("--log_format: log_format must be text or json, got 'xml'"),
            std::string::npos)
      << s.detail();
  EXPECT_NE(ConfigHelp().find("log_format = text"), std::string::npos);
  EXPECT_NE(ConfigHelp().find("access_log ="), std::string::npos);
  EXPECT_NE(ConfigHelp().find("SIGHUP reopens the access log"), std::string::npos);
}

TEST(ConfigTest, GivenSettingsAreKeptForTheStartUpLogWithoutSecrets) {
  std::string file = WriteFile(
      "log_level = debug\nsecret_id = AKIDfile\nsecret_key = file-key\n"
      "postgres_dsn = host=db password=s3cret dbname=cmq\n");
  Config c;
  bool help;
  ASSERT_TRUE(
      Parse({"--config", file, "--log-level", "warn", "--secret-id", "AKIDflag", "--secret-key",
             "flag-key", "--postgres-dsn", "postgresql://cmq:hunter2@db/cmq?password='x y'"},
            &c, &help)
          .ok());
  std::remove(file.c_str());
  EXPECT_EQ(c.given_settings, (std::vector<std::pair<std::string, std::string>>{
                                  {"log_level", "debug"},
                                  {"postgres_dsn", "host=db password=*** dbname=cmq"},
                                  {"log_level", "warn"},
                                  {"postgres_dsn", "postgresql://cmq:***@db/cmq?password=***"}}));
}

TEST(ConfigTest, AdminListenerDefaultsToLoopbackAndEmptyTurnsItOff) {
  bool help;
  Config defaults;
  ASSERT_TRUE(Parse({}, &defaults, &help).ok());
  EXPECT_EQ(defaults.admin_host, "127.0.0.1");
  EXPECT_EQ(defaults.admin_port, 8081);
  EXPECT_EQ(defaults.metrics_max_queues, 1000);
  Config c;
  ASSERT_TRUE(
      Parse({"--admin-listen", "0.0.0.0:9100", "--metrics-max-queues", "5"}, &c, &help).ok());
  EXPECT_EQ(c.admin_host, "0.0.0.0");
  EXPECT_EQ(c.admin_port, 9100);
  EXPECT_EQ(c.metrics_max_queues, 5);
  Config off;
  ASSERT_TRUE(Parse({"--admin-listen", ""}, &off, &help).ok());
  EXPECT_EQ(off.admin_host, "");
  Status s = Parse({"--admin-listen", "9100"}, &c, &help);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.detail().find("--admin_listen: admin_listen must be HOST:PORT"), std::string::npos)
      << s.detail();
}

TEST(ConfigTest, HelpNamesVersionAndTheKeyPairVariables) {
  std::string help = ConfigHelp();
  EXPECT_NE(help.find("cmqd --version"), std::string::npos);
  EXPECT_NE(help.find("CMQ_SECRET_ID"), std::string::npos);
  EXPECT_NE(help.find("CMQ_SECRET_KEY"), std::string::npos);
}

}  // namespace
}  // namespace cmq::server
