#include "server/credentials.h"

#include <sys/stat.h>

#include <cstdio>

#include "common/log.h"
#include "common/strings.h"
#include "pglog/schema.h"
#include "server/startup_error.h"

namespace cmq::server {
namespace {

constexpr char kCredentialsFile[] = "credentials";

// Reads the "key=value" lines of the credentials file.
Status LoadCredentials(env::Env* env, const std::string& path, KeyPair* pair) {
  auto file = env->Open(path, env::OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string text;
  CMQ_RETURN_IF_ERROR((*file)->PRead(0, *size, &text));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "secret_id") pair->secret_id = v;
    if (k == "secret_key") pair->secret_key = v;
  }
  if (pair->secret_id.empty() || pair->secret_key.empty()) {
    return Status(ErrorCode::kCorruption, path + " lacks secret_id or secret_key");
  }
  return Status::Ok();
}

Status SaveCredentials(env::Env* env, const std::string& dir, const KeyPair& pair) {
  std::string tmp = dir + "/" + kCredentialsFile + ".tmp";
  std::string text = "secret_id=" + pair.secret_id + "\nsecret_key=" + pair.secret_key + "\n";
  mode_t old_mask = umask(077);  // the key file is readable by its owner only
  auto file = env->Open(tmp, env::OpenMode::kCreateOrOpen);
  umask(old_mask);
  if (!file.ok()) return file.status();
  CMQ_RETURN_IF_ERROR((*file)->Truncate(0));
  CMQ_RETURN_IF_ERROR((*file)->PWrite(0, text));
  CMQ_RETURN_IF_ERROR((*file)->DataSync());
  CMQ_RETURN_IF_ERROR(env->Rename(tmp, dir + "/" + kCredentialsFile));
  return env->SyncDir(dir);
}

// `where` the kept pair is; `forget` how an operator removes it.
Status Conflict(const Config& config, const KeyPair& kept, const std::string& where,
                const std::string& forget) {
  std::string given = "SecretId " + config.secret_id;
  if (config.secret_id == kept.secret_id) given += " with another SecretKey";
  return Status(ErrorCode::kInvalidParameters,
                "the default account's key pair from " + config.secret_origin + " (" + given +
                    ") is not the one kept in " + where + " (SecretId " + kept.secret_id +
                    "), and cmqd does not choose between them.\n"
                    "  To keep using " +
                    kept.secret_id + ": start without " + config.secret_origin +
                    ", or give that pair.\n"
                    "  To switch to " +
                    config.secret_id + ": " + forget + " (clients signing with " +
                    kept.secret_id + " stop working), then start again.");
}

// Printed once, on the start that generated it.
void PrintGenerated(const Config& config, const KeyPair& pair, const std::string& where) {
  printf(
      "cmqd: generated a key pair for the default account (appId %llu)\n"
      "  SecretId:  %s\n  SecretKey: %s\n  (kept in %s)\n",
      static_cast<unsigned long long>(config.default_app_id), pair.secret_id.c_str(),
      pair.secret_key.c_str(), where.c_str());
  fflush(stdout);
}

KeyPair NewKeyPair() { return {"AKID" + RandomAlnum(32), RandomAlnum(32)}; }

}  // namespace

Result<KeyPair> DefaultKeyPair(env::Env* env, const Config& config) {
  const std::string path = config.data_dir + "/" + kCredentialsFile;
  KeyPair given{config.secret_id, config.secret_key};
  if (env->Exists(path)) {
    KeyPair kept;
    CMQ_RETURN_IF_ERROR(StartupError("cannot read the credentials file " + path,
                                     LoadCredentials(env, path, &kept)));
    if (given.secret_id.empty()) {
      CMQ_LOG_INFO("default account %llu uses SecretId %s (key in %s)",
                   static_cast<unsigned long long>(config.default_app_id), kept.secret_id.c_str(),
                   path.c_str());
      return kept;
    }
    if (given.secret_id != kept.secret_id || given.secret_key != kept.secret_key) {
      return Conflict(config, kept, path, "delete " + path);
    }
    return given;
  }
  if (!given.secret_id.empty()) return given;
  KeyPair generated = NewKeyPair();
  CMQ_RETURN_IF_ERROR(StartupError("cannot save a new key pair in " + path,
                                   SaveCredentials(env, config.data_dir, generated)));
  PrintGenerated(config, generated, path);
  return generated;
}

Result<KeyPair> ClusterDefaultKeyPair(const Config& config, pglog::PgConn* conn) {
  const std::string where = "the cluster's database, table cmq_credentials";
  uint64_t app_id = config.default_app_id;
  KeyPair given{config.secret_id, config.secret_key};
  auto loaded = pglog::LoadKeyPair(conn, app_id);
  if (!loaded.ok()) return StartupError("cannot read the key pair from PostgreSQL", loaded.status());
  if (loaded->has_value()) {
    KeyPair kept{(*loaded)->secret_id, (*loaded)->secret_key};
    if (given.secret_id.empty()) {
      CMQ_LOG_INFO("default account %llu uses SecretId %s (key in %s)",
                   static_cast<unsigned long long>(app_id), kept.secret_id.c_str(),
                   where.c_str());
      return kept;
    }
    if (given.secret_id != kept.secret_id || given.secret_key != kept.secret_key) {
      return Conflict(config, kept, where,
                      "DELETE FROM cmq_credentials WHERE app_id = " + std::to_string(app_id) +
                          " (on every node's next start they use the new pair)");
    }
    return given;
  }
  if (!given.secret_id.empty()) return given;
  KeyPair generated = NewKeyPair();
  auto kept = pglog::KeepKeyPair(conn, app_id, {generated.secret_id, generated.secret_key});
  if (!kept.ok()) return StartupError("cannot keep a new key pair in PostgreSQL", kept.status());
  if (kept->secret_id == generated.secret_id) {
    PrintGenerated(config, generated, where);
    return generated;
  }
  // Another node kept its pair first: use that one.
  CMQ_LOG_INFO("default account %llu uses SecretId %s (key in %s)",
               static_cast<unsigned long long>(app_id), kept->secret_id.c_str(), where.c_str());
  return KeyPair{kept->secret_id, kept->secret_key};
}

}  // namespace cmq::server
