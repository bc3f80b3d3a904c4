#include "common/status.h"

namespace cmq {
namespace {

constexpr ErrorInfo kErrorTable[] = {
#define CMQ_ERROR(name, code, module, text) {code, module, text, #name},
#include "common/errors.def"
#undef CMQ_ERROR
};

}  // namespace

const ErrorInfo& GetErrorInfo(ErrorCode c) { return kErrorTable[static_cast<int>(c)]; }

std::string Status::WireMessage() const {
  if (ok()) return {};
  const ErrorInfo& info = GetErrorInfo(code_);
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on operator+ chains.
  std::string out;
  out.append("(").append(std::to_string(info.module_code)).append(")");
  std::string_view text = info.text;
  size_t pos = text.find("%s");
  if (pos == std::string_view::npos) {
    out += text;
  } else {
    out += text.substr(0, pos);
    out += detail_;
    out += text.substr(pos + 2);
  }
  return out;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  const ErrorInfo& info = GetErrorInfo(code_);
  std::string out;
  out.append(info.name).append(" ").append(std::to_string(info.code)).append("/");
  out.append(std::to_string(info.module_code)).append(" ").append(WireMessage());
  if (!detail_.empty() && std::string_view(info.text).find("%s") == std::string_view::npos) {
    out.append(" [").append(detail_).append("]");
  }
  return out;
}

}  // namespace cmq
