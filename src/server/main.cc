// cmqd: the CMQ-compatible message queue server.
#include <cstdio>
#include <cstring>

#include "cmq_version.h"
#include "common/log.h"
#include "server/config.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    puts("cmqd " CMQ_VERSION_DESCRIPTION);
    return 0;
  }
  cmq::server::Config config;
  bool help = false;
  cmq::Status parsed = cmq::server::ParseCommandLine(argc, argv, &config, &help);
  if (help) {
    fputs(cmq::server::ConfigHelp().c_str(), stdout);
    return 0;
  }
  if (!parsed.ok()) {
    fprintf(stderr, "cmqd: %s\n(see cmqd --help)\n", parsed.detail().c_str());
    return 2;
  }
  config.version = CMQ_VERSION_DESCRIPTION;
  cmq::server::Daemon daemon(std::move(config));
  cmq::Status started = daemon.Start();
  if (!started.ok()) {
    // Start() words its failures for the operator (see daemon.h).
    fprintf(stderr, "cmqd: %s\n", started.detail().c_str());
    return 1;
  }
  return daemon.Run().ok() ? 0 : 1;
}
