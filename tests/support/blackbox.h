// Shared pieces of the black-box tests: a cmqd on its own data directory, signed
// callers for it, raw HTTP sockets, and gtest checks for CMQ envelopes and JSON types.
//
// Everything here runs in the test process and talks to cmqd only over HTTP; nothing
// links server code. Not thread-safe unless a function says so (each thread makes its
// own Caller / RawConnection).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/caller.h"
#include "client/client_error.h"
#include "common/form.h"
#include "common/http_response_parser.h"
#include "common/json.h"
#include "support/cmqd_process.h"

namespace cmq::testing {

using client::Caller;
using client::CallerOptions;
using client::ClientResult;

// A cmqd on a fresh temporary data directory that outlives restarts of the process.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extra_args = {});
  // Starts (or restarts) cmqd; false with the output in process().output() if it fails.
  bool Start();
  CmqdProcess& process() { return *process_; }
  const std::string& dir() const { return dir_.path(); }
  uint16_t port() const { return process_->port(); }
  // "127.0.0.1:<port>": the Host header and signed host.
  std::string authority() const;

  // Options for a Caller of the default account, on `path` ("/" when empty).
  CallerOptions Options(std::string_view path = "/") const;
  // A Caller on these options. Fails the current test if the options are bad.
  Caller NewCaller(std::string_view path = "/") const;
  Caller NewCaller(const CallerOptions& options) const;

 private:
  TempDir dir_;  // declared first: destroyed after the process is killed
  std::unique_ptr<CmqdProcess> process_;
};

// A plain TCP connection to 127.0.0.1:port for hand-made HTTP. Every wait is bounded.
class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Connect(uint16_t port);
  // Writes all of `data` (no SIGPIPE). False if the peer is gone.
  bool Send(std::string_view data);
  // Reads one complete response (1xx interim responses skipped), waiting at most
  // `timeout_ms`. Bytes after it are kept for the next call. kNetwork on EOF/reset,
  // kTimeout, kProtocol for non-HTTP bytes.
  ClientResult<HttpResponse> ReadResponse(int64_t timeout_ms = 20000);
  // Whether bytes (or EOF) are readable within `timeout_ms`, without consuming them.
  bool Readable(int64_t timeout_ms);
  // True if the peer closes the connection within `timeout_ms` (bytes before the close
  // are discarded).
  bool WaitClosed(int64_t timeout_ms = 20000);
  void Close();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string pending_;  // received and not yet parsed
};

// The parameters a signed request transmits (Signature last), signed with `caller`'s
// key for `method` on `caller`'s host and `path`. Unlike Caller::Prepare this adds
// nothing to `params`: the caller lists every parameter, including the common ones.
ParamList SignParams(const Caller& caller, std::string_view method, std::string_view path,
                     ParamList params);
// The common parameters Caller adds (Action, SecretId, Nonce, Timestamp=now,
// SignatureMethod) followed by `params`, unsigned.
ParamList WithCommon(const Caller& caller, std::string_view action, ParamList params);

// A complete HTTP/1.1 POST with a signed form body for `action`, with the given extra
// header lines (each "Name: value"). Content-Length is always added.
std::string RawSignedPost(const Caller& caller, std::string_view action, ParamList params,
                          const std::vector<std::string>& headers = {});

// Parses an HTTP response body as a CMQ envelope (like Caller::Call does).
ClientResult<JsonValue> ParseEnvelope(const HttpResponse& response);

// Sends a hand-made request as it stands (its parameters complete: signed, or
// deliberately not) on `caller`'s connection, `body` as a form (Content-Type is set
// when it is not empty), and parses the envelope of the answer. Expects HTTP 200:
// API errors are (docs/cmq-api.md 1.4).
ClientResult<JsonValue> SendRaw(Caller& caller, const std::string& method,
                                const std::string& target, const std::string& body);

// ---- gtest checks ----

// r is a server error with this code and module code, the message starts with
// "(<module>)", and requestId is a string.
::testing::AssertionResult IsServerError(const ClientResult<JsonValue>& r, int code,
                                         int module_code);
// r succeeded with the success envelope: code 0 (number), message "", codeDesc
// "Success", requestId a non-empty string.
::testing::AssertionResult IsSuccess(const ClientResult<JsonValue>& r);

::testing::AssertionResult HasInt(const JsonValue& object, std::string_view key);
::testing::AssertionResult HasString(const JsonValue& object, std::string_view key);
::testing::AssertionResult HasArray(const JsonValue& object, std::string_view key);

// Members read leniently (a missing or mistyped member gives -1 / "" / an empty
// list); pair them with the Has* checks.
int64_t IntField(const JsonValue& object, std::string_view key);
std::string StrField(const JsonValue& object, std::string_view key);
const std::vector<JsonValue>& ArrayField(const JsonValue& object, std::string_view key);

// A queue name unique within this test process: prefix-NNNNN.
std::string UniqueName(std::string_view prefix);
int64_t NowSeconds();

// Fixture: one cmqd per test suite (started by the first test of the suite, with
// --min-max-msg-heap-num 1 and --push-allow-networks 127.0.0.0/8) and a Caller for it
// in `caller_`.
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  // Fails the test, with cmqd's output, if cmqd died during it (and starts a new one
  // so the rest of the suite still runs).
  void TearDown() override;

  static TestServer& server() { return *server_; }

  // The call must succeed; a failure is recorded and a null value returned.
  JsonValue Ok(std::string_view action, ParamList params, int64_t extra_timeout_ms = 0);
  // CreateQueue with the given attributes; returns the queueId ("" after a failure).
  std::string CreateQueue(const std::string& name, ParamList attributes = {});
  // SendMessage; returns the msgId.
  std::string Send(const std::string& queue, const std::string& body, ParamList extra = {});
  // ReceiveMessage with pollingWaitSeconds = wait (result unchecked).
  ClientResult<JsonValue> Receive(const std::string& queue, int wait = 0);
  JsonValue Attributes(const std::string& queue);

  static std::unique_ptr<TestServer> server_;
  std::unique_ptr<Caller> caller_;
};

}  // namespace cmq::testing
