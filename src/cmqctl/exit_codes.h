// cmqctl's exit codes; `cmqctl --help` documents them and scripts depend on them, so
// the numbers never change.
#pragma once

namespace cmqctl {

inline constexpr int kExitOk = 0;
// The server answered with a CMQ error (code, message and requestId are printed), or
// a local operation failed (a file could not be read, a profile could not be saved).
inline constexpr int kExitError = 1;
// Bad command line: unknown command or flag, missing or malformed argument.
inline constexpr int kExitUsage = 2;
// No answer: connection refused or reset, timeout, malformed response.
inline constexpr int kExitNetwork = 3;
// `msg receive` found no message within its wait (CMQ code 7000).
inline constexpr int kExitNoMessage = 4;
// Stopped by SIGINT/SIGTERM (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

}  // namespace cmqctl
