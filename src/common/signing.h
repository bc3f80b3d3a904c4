// CMQ request signing (docs/cmq-api.md 2.3), shared by the server's verifier and the
// clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/form.h"

namespace cmq {

enum class SignatureMethod { kHmacSHA1, kHmacSHA256 };

// "HmacSHA256" selects SHA-256; anything else (or absence) SHA-1.
SignatureMethod ParseSignatureMethod(std::string_view value);

// A parameter name as the string to sign spells it: every '_' becomes '.' (the PHP
// front end of CMQ turned '.' in names into '_'). Names that spell alike are one
// parameter to the signature.
std::string SignedName(std::string_view name);
void AppendSignedName(std::string_view name, std::string* out);

// METHOD + host + path + "?" + sorted "name=value" pairs joined by "&", with names
// spelled by SignedName; `params` must not contain "Signature". Sorting is by byte
// value of the original names (stable for duplicates).
std::string StringToSign(std::string_view method, std::string_view host, std::string_view path,
                         const ParamList& params);

// Base64(HMAC(key, data)).
std::string Sign(std::string_view data, std::string_view secret_key, SignatureMethod method);

// The common parameters a signed request carries besides its action's (2.3).
struct SigningKey {
  std::string_view secret_id;
  std::string_view secret_key;
  SignatureMethod method = SignatureMethod::kHmacSHA256;
};
struct SigningStamp {
  int64_t timestamp = 0;  // Unix seconds
  uint64_t nonce = 0;     // see NonceFrom
};

// Makes `params` a signed request to METHOD host path: adds SecretId, Nonce,
// Timestamp and SignatureMethod, each unless `params` holds it already (sent as given),
// then Signature over every parameter, unless `params` holds one already (sent
// unchanged: lets tests send bad ones). Returns the string to sign, "" when the
// Signature was given. The one way cmq signs a request: the clients and the web
// console forwarding a call to another node both use it.
std::string SignParams(std::string_view method, std::string_view host, std::string_view path,
                       const SigningKey& key, const SigningStamp& stamp, ParamList* params);

// A Nonce from any random number: 1 .. 2^31-1, which every server and SDK accepts.
inline uint64_t NonceFrom(uint64_t random) { return random % 2147483647u + 1; }

// Primitives (OpenSSL underneath).
std::string HmacSha1(std::string_view key, std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Base64Encode(std::string_view data);
// Strict standard-alphabet decoding with padding; nullopt-like failure as kCannotParse.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace cmq
