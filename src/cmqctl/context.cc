#include <algorithm>
#include <istream>
#include <ostream>

#include "cmq/account.h"
#include "cmq/cmq_client.h"
#include "command.h"

namespace cmqctl {

Context::Context(const CliIo& io, ParsedArgs args, std::string command_path)
    : io_(io), args_(std::move(args)), command_path_(std::move(command_path)) {}

Context::~Context() = default;

std::optional<int64_t> Context::IntFlag(const std::string& name, int64_t min, int64_t max) const {
  std::string error;
  std::optional<int64_t> v = args_.Int(name, min, max, &error);
  if (!error.empty()) ThrowUsage(error);
  return v;
}

std::optional<int> Context::IntFlag32(const std::string& name, int min, int max) const {
  std::optional<int64_t> v = IntFlag(name, min, max);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

const ConnectionSettings& Context::settings() {
  if (!settings_) {
    ProfileStore store;
    std::string error;
    std::string path = ProfilePath(io_.env);
    if (!LoadProfiles(path, &store, &error)) throw CommandError(kExitError, error);
    std::optional<ConnectionSettings> s = ResolveSettings(args_, io_.env, store, &error);
    if (!s) ThrowUsage(error);
    settings_ = std::move(*s);
  }
  return *settings_;
}

cmq::Account& Context::account() {
  if (account_) return *account_;
  const ConnectionSettings& s = settings();
  auto missing = [](const char* what, const char* flag, const char* env) {
    ThrowUsage(std::string("no ") + what + ": pass --" + flag + ", set " + env +
               ", or save a profile (cmqctl profile set NAME --endpoint URL --secret-id ID "
               "--secret-key KEY)");
  };
  if (s.endpoint.value.empty()) missing("endpoint", "endpoint", "CMQ_ENDPOINT");
  if (s.secret_id.value.empty()) missing("secret id", "secret-id", "CMQ_SECRET_ID");
  if (s.secret_key.value.empty()) missing("secret key", "secret-key", "CMQ_SECRET_KEY");

  cmq::CMQClientOptions options;
  options.signMethod =
      s.sign.value == "sha1" ? cmq::SignMethod::kHmacSHA1 : cmq::SignMethod::kHmacSHA256;
  options.httpMethod = s.method.value == "GET" ? cmq::HttpMethod::kGet : cmq::HttpMethod::kPost;
  int timeout_ms = static_cast<int>(s.timeout_seconds * 1000);
  options.readTimeoutMs = timeout_ms;
  options.connectTimeoutMs = std::min(timeout_ms, 10000);
  options.connectionPoolSize = 2;
  options.caFile = s.ca_file.value;
  if (verbose()) {
    std::ostream* err = io_.err;
    options.logEnabled = true;
    options.logLevel = cmq::LogSeverity::kDebug;
    options.logCallback = [err](cmq::LogSeverity, const std::string& line) {
      *err << "cmqctl: libcmq: " << line << '\n';
    };
    *err << "cmqctl: endpoint " << s.endpoint.value << " (" << SourceName(s.endpoint.source)
         << "), secret id " << s.secret_id.value << " (" << SourceName(s.secret_id.source)
         << "), sign " << s.sign.value << ", method " << s.method.value << ", timeout "
         << s.timeout_seconds << "s";
    if (!s.profile.empty()) *err << ", profile " << s.profile;
    *err << '\n';
  }
  account_ = std::make_unique<cmq::Account>(s.endpoint.value, s.secret_id.value, s.secret_key.value,
                                            options);
  return *account_;
}

void Context::PrintJson(const Json& doc) const { out() << doc.Dump(2) << '\n' << std::flush; }

void Context::PrintJsonLine(const Json& doc) const { out() << doc.Dump() << '\n' << std::flush; }

bool Context::Confirm(const std::string& question, const std::string& what) const {
  if (args_.Switch("yes")) return true;
  if (!io_.in_is_tty) {
    ThrowUsage("refusing to " + what + " without --yes (stdin is not a terminal)");
  }
  err() << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(in(), answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace cmqctl
