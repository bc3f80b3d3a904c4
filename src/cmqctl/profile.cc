#include "profile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cmqctl {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Creates `dir` and its parents (mode 0700).
bool MakeDirs(const std::string& dir, std::string* error) {
  if (dir.empty()) return true;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return true;
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirs(dir.substr(0, slash), error)) {
    return false;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

const std::string* Profile::Get(std::string_view key) const {
  for (const auto& [k, v] : values) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Profile::Set(std::string_view key, std::string value) {
  for (auto& [k, v] : values) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  values.emplace_back(std::string(key), std::move(value));
}

const std::vector<std::string>& ProfileKeys() {
  static const std::vector<std::string> kKeys = {"endpoint", "secret_id", "secret_key", "sign",
                                                 "method",   "timeout",   "ca_file"};
  return kKeys;
}

bool IsValidProfileName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::optional<ProfileStore> ProfileStore::Parse(std::string_view text, std::string* error) {
  ProfileStore store;
  Profile* section = nullptr;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']') {
        *error = "line " + std::to_string(line_no) + ": unterminated section header";
        return std::nullopt;
      }
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (!IsValidProfileName(name)) {
        *error =
            "line " + std::to_string(line_no) + ": bad profile name '" + std::string(name) + "'";
        return std::nullopt;
      }
      section = &store.GetOrAdd(name);
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      *error = "line " + std::to_string(line_no) + ": expected 'key = value'";
      return std::nullopt;
    }
    std::string key = Lower(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (section == nullptr) {
      if (key != "current") {
        *error = "line " + std::to_string(line_no) + ": '" + key + "' outside a [profile]";
        return std::nullopt;
      }
      store.current_ = value;
      continue;
    }
    // Unknown keys are kept (a newer cmqctl may have written them) but never used.
    section->Set(key, value);
  }
  return store;
}

std::string ProfileStore::Serialize() const {
  std::string out = "# cmqctl profiles: written by `cmqctl profile`; holds secrets (mode 0600)\n";
  if (!current_.empty()) out += "current = " + current_ + "\n";
  for (const Profile& p : profiles_) {
    out += "\n[" + p.name + "]\n";
    for (const auto& [k, v] : p.values) out += k + " = " + v + "\n";
  }
  return out;
}

const Profile* ProfileStore::Find(std::string_view name) const {
  for (const Profile& p : profiles_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Profile& ProfileStore::GetOrAdd(std::string_view name) {
  for (Profile& p : profiles_) {
    if (p.name == name) return p;
  }
  profiles_.push_back(Profile{std::string(name), {}});
  return profiles_.back();
}

bool ProfileStore::Remove(std::string_view name) {
  auto it = std::find_if(profiles_.begin(), profiles_.end(),
                         [&](const Profile& p) { return p.name == name; });
  if (it == profiles_.end()) return false;
  profiles_.erase(it);
  if (current_ == name) current_.clear();
  return true;
}

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::string ProfilePath(const EnvLookup& env) {
  if (auto p = env("CMQ_PROFILE_FILE")) return *p;
  if (auto x = env("XDG_CONFIG_HOME")) return *x + "/cmq/profiles";
  return env("HOME").value_or(".") + "/.config/cmq/profiles";
}

bool LoadProfiles(const std::string& path, ProfileStore* store, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      *store = ProfileStore();
      return true;
    }
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string parse_error;
  std::optional<ProfileStore> parsed = ProfileStore::Parse(buf.str(), &parse_error);
  if (!parsed) {
    *error = path + ": " + parse_error;
    return false;
  }
  *store = std::move(*parsed);
  return true;
}

bool SaveProfiles(const std::string& path, const ProfileStore& store, std::string* error) {
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && !MakeDirs(path.substr(0, slash), error)) return false;
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::string text = store.Serialize();
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot replace " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

const char* SourceName(Source source) {
  switch (source) {
    case Source::kDefault:
      return "default";
    case Source::kProfile:
      return "profile";
    case Source::kEnv:
      return "env";
    case Source::kFlag:
      return "flag";
  }
  return "?";
}

std::optional<std::string> NormalizeSign(std::string_view text) {
  std::string s = Lower(text);
  if (s == "sha1" || s == "hmacsha1") return "sha1";
  if (s == "sha256" || s == "hmacsha256") return "sha256";
  return std::nullopt;
}

std::optional<std::string> NormalizeMethod(std::string_view text) {
  std::string s = Lower(text);
  if (s == "get") return "GET";
  if (s == "post") return "POST";
  return std::nullopt;
}

std::optional<ConnectionSettings> ResolveSettings(const ParsedArgs& flags, const EnvLookup& env,
                                                  const ProfileStore& store, std::string* error) {
  ConnectionSettings s;
  const Profile* profile = nullptr;
  std::string name;
  bool named = true;
  if (auto f = flags.Value("profile")) {
    name = *f;
  } else if (auto e = env("CMQ_PROFILE")) {
    name = *e;
  } else if (!store.current().empty()) {
    name = store.current();
  } else {
    name = "default";
    named = false;
  }
  profile = store.Find(name);
  if (profile == nullptr && named) {
    *error = "no profile named '" + name + "' (see `cmqctl profile list`)";
    return std::nullopt;
  }
  if (profile != nullptr) s.profile = profile->name;

  // flag > env > profile > default, key by key.
  auto resolve = [&](Setting* out, const char* flag, const char* env_name, const char* key,
                     const char* fallback) {
    if (auto f = flags.Value(flag)) {
      *out = {*f, Source::kFlag};
    } else if (auto e = env_name ? env(env_name) : std::nullopt) {
      *out = {*e, Source::kEnv};
    } else if (const std::string* p = profile ? profile->Get(key) : nullptr; p && !p->empty()) {
      *out = {*p, Source::kProfile};
    } else {
      *out = {fallback, Source::kDefault};
    }
  };
  resolve(&s.endpoint, "endpoint", "CMQ_ENDPOINT", "endpoint", "");
  resolve(&s.secret_id, "secret-id", "CMQ_SECRET_ID", "secret_id", "");
  resolve(&s.secret_key, "secret-key", "CMQ_SECRET_KEY", "secret_key", "");
  resolve(&s.sign, "sign", nullptr, "sign", "sha256");
  resolve(&s.method, "method", nullptr, "method", "POST");
  resolve(&s.timeout, "timeout", nullptr, "timeout", "10");
  resolve(&s.ca_file, "ca-file", "CMQ_CA_FILE", "ca_file", "");

  auto where = [](const Setting& st, const char* what) {
    return st.source == Source::kFlag ? std::string("--") + what
                                      : std::string(what) + " (from " + SourceName(st.source) + ")";
  };
  std::optional<std::string> sign = NormalizeSign(s.sign.value);
  if (!sign) {
    *error = where(s.sign, "sign") + ": '" + s.sign.value + "' is not sha1 or sha256";
    return std::nullopt;
  }
  s.sign.value = *sign;
  std::optional<std::string> method = NormalizeMethod(s.method.value);
  if (!method) {
    *error = where(s.method, "method") + ": '" + s.method.value + "' is not GET or POST";
    return std::nullopt;
  }
  s.method.value = *method;
  std::optional<int64_t> timeout = ParseInt64(s.timeout.value);
  if (!timeout || *timeout < 1 || *timeout > 3600) {
    *error = where(s.timeout, "timeout") + ": '" + s.timeout.value +
             "' is not a number of seconds in [1, 3600]";
    return std::nullopt;
  }
  s.timeout_seconds = *timeout;
  return s;
}

}  // namespace cmqctl
