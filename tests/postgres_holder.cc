// postgres_holder: starts a PostgresServer (support/postgres_server.h), prints
//   data_dir=<its data directory>
//   dsn=<a DSN of its "postgres" database>
// and waits to be killed. tests/postgres_server_test.cc kills it to show that its
// server does not outlive it, and runs it as another user.
#include <unistd.h>

#include <cstdio>

#include "support/postgres_server.h"

int main() {
  cmq::testing::PostgresServer server;
  if (::testing::AssertionResult started = server.Start(); !started) {
    std::fprintf(stderr, "postgres_holder: %s\n", started.message());
    return 1;
  }
  std::printf("data_dir=%s\ndsn=%s\n", server.data_dir().c_str(), server.Dsn("postgres").c_str());
  std::fflush(stdout);
  while (true) pause();
}
