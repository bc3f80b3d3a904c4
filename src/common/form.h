// application/x-www-form-urlencoded, as CMQ clients send it (docs/cmq-api.md 1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace cmq {

using Param = std::pair<std::string, std::string>;
using ParamList = std::vector<Param>;  // in the order received; duplicates kept

// Decodes "a=1&b=x+y&c=%41". '+' is a space, %XX a byte; a key without '=' has an
// empty value; empty segments ("a=1&&b=2") are skipped. Invalid escapes (a '%' not
// followed by two hex digits) give kCannotParse with detail "request". Never reads
// past `input`.
Result<ParamList> DecodeForm(std::string_view input);

// The value of the last parameter named `name`, null when there is none.
const std::string* FindParam(const ParamList& params, std::string_view name);
// Appends `name`=`value` unless `params` has a parameter of that name already (a
// caller's own value wins).
void AddParamIfAbsent(ParamList* params, std::string_view name, std::string value);

// The N of an indexed parameter name "<name>.N" (docs/cmq-api.md 4), given the text
// after the dot: decimal, no sign, no leading zeros, at most 9 digits (a longer index
// could not be part of a contiguous batch anyway). nullopt for anything else.
std::optional<uint32_t> ParseParamIndex(std::string_view digits);

// Percent-encodes everything but ALPHA / DIGIT / "-" / "_" / "." / "~" (space is %20).
std::string UrlEncode(std::string_view value);
// Builds "k=v&k2=v2" with UrlEncode on keys and values.
std::string EncodeForm(const ParamList& params);

}  // namespace cmq
