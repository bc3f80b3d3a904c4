// Connection profiles (~/.config/cmq/profiles) and the resolution of the settings a
// command connects with: flags > environment > profile > built-in defaults.
//
// The file is INI-like and written back in the same shape:
//   current = dev
//   [dev]
//   endpoint = http://127.0.0.1:8080
//   secret_id = AKID...
//   secret_key = ...
// Keys: endpoint, secret_id, secret_key, sign (sha1|sha256), method (GET|POST),
// timeout (seconds), ca_file (PEM CAs for https:// endpoints). Values run to the end of the line (a
// secret may contain '#'); only whole lines starting with '#' or ';' are comments. The file holds
// secrets, so it is written with mode 0600, atomically (temporary file + rename).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "args.h"

namespace cmqctl {

struct Profile {
  std::string name;
  std::vector<std::pair<std::string, std::string>> values;  // in file order

  const std::string* Get(std::string_view key) const;
  void Set(std::string_view key, std::string value);
};

class ProfileStore {
 public:
  // Parses the file's text; nullopt with "line N: ..." in *error when malformed.
  static std::optional<ProfileStore> Parse(std::string_view text, std::string* error);
  std::string Serialize() const;

  const Profile* Find(std::string_view name) const;
  // The profile, created empty (appended) when missing.
  Profile& GetOrAdd(std::string_view name);
  bool Remove(std::string_view name);  // also clears `current` if it named it
  const std::vector<Profile>& profiles() const { return profiles_; }

  const std::string& current() const { return current_; }
  void set_current(std::string name) { current_ = std::move(name); }

 private:
  std::string current_;
  std::vector<Profile> profiles_;
};

// Keys a profile may hold, in the order `profile list`/`show` print them.
const std::vector<std::string>& ProfileKeys();
// A profile name: letters, digits, '-', '_', '.'; 1-64 characters.
bool IsValidProfileName(std::string_view name);

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// Reads the process environment (empty values count as unset).
EnvLookup ProcessEnv();

// $CMQ_PROFILE_FILE, else $XDG_CONFIG_HOME/cmq/profiles, else $HOME/.config/cmq/profiles.
std::string ProfilePath(const EnvLookup& env);
// A missing file is an empty store. False with a message on a read or parse error.
bool LoadProfiles(const std::string& path, ProfileStore* store, std::string* error);
// Creates the directory if needed; writes 0600 via rename.
bool SaveProfiles(const std::string& path, const ProfileStore& store, std::string* error);

// Where a resolved setting came from (shown by -v and `profile show`).
enum class Source { kDefault, kProfile, kEnv, kFlag };
const char* SourceName(Source source);

struct Setting {
  std::string value;
  Source source = Source::kDefault;
};

struct ConnectionSettings {
  std::string profile;  // the profile used ("" = none)
  Setting endpoint;
  Setting secret_id;
  Setting secret_key;
  Setting sign;     // "sha1" | "sha256"
  Setting method;   // "GET" | "POST"
  Setting timeout;  // seconds, decimal
  Setting ca_file;  // "" = the system CA store
  int64_t timeout_seconds = 10;
};

// Resolves the connection settings from the global flags (endpoint, secret-id,
// secret-key, sign, method, timeout, ca-file, profile), the environment (CMQ_ENDPOINT,
// CMQ_SECRET_ID, CMQ_SECRET_KEY, CMQ_CA_FILE, CMQ_PROFILE) and the store. The profile is the one
// named by --profile, else $CMQ_PROFILE, else the store's current one, else a profile
// called "default" if it exists. Missing endpoint or keys are not an error here (not
// every command needs them). nullopt with a message for a named profile that does not
// exist or a malformed sign/method/timeout value.
std::optional<ConnectionSettings> ResolveSettings(const ParsedArgs& flags, const EnvLookup& env,
                                                  const ProfileStore& store, std::string* error);

// Canonical "sha1"/"sha256" for sha1, sha256, hmacsha1, hmacsha256 (any case).
std::optional<std::string> NormalizeSign(std::string_view text);
// "GET"/"POST" for any case.
std::optional<std::string> NormalizeMethod(std::string_view text);

}  // namespace cmqctl
