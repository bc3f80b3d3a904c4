// The default File::WriteZeros: zeros written through PWrite, a megabyte at a time.
#include <algorithm>
#include <string>

#include "env/env.h"

namespace cmq::env {

Status File::WriteZeros(uint64_t offset, uint64_t len) {
  static const std::string kZeros(1 << 20, '\0');
  for (uint64_t done = 0; done < len;) {
    uint64_t n = std::min<uint64_t>(kZeros.size(), len - done);
    CMQ_RETURN_IF_ERROR(PWrite(offset + done, std::string_view(kZeros.data(), n)));
    done += n;
  }
  return Status::Ok();
}

}  // namespace cmq::env
