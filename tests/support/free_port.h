// FreeLoopbackPort: a TCP port of 127.0.0.1 for a server whose port must be chosen
// before it starts (one that cannot listen on port 0 and report the port it got).
#pragma once

#include <cstdint>

namespace cmq::testing {

// A port that was free on 127.0.0.1 a moment ago (the kernel's pick for port 0),
// or 0 if none could be had. Another process may take it before the server binds it:
// a server that then fails to bind may be started again on a new port.
uint16_t FreeLoopbackPort();

}  // namespace cmq::testing
