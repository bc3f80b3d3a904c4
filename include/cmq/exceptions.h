// The exceptions libcmq throws. Every SDK call either returns its result or throws one
// of these; nothing else escapes except std::bad_alloc.
//
//   CMQException                      base: catch this to catch everything
//   ├── CMQClientException            nothing usable came back: bad argument (thrown
//   │                                 before any network traffic), network failure,
//   │                                 timeout, non-200 HTTP status, unreadable response
//   └── CMQServerException            the server answered with a CMQ error code
//       ├── CMQNoMessageException     code 7000: (Batch)ReceiveMessage found no message
//       └── CMQBatchDeleteException   codes 6010/6020 of BatchDeleteMessage, with the
//                                     per-handle errorList
//
// Branch on types or on getCode(), never on message text. All are copyable and
// immutable, so safe to share between threads.
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace cmq {

class CMQException : public std::exception {
 public:
  explicit CMQException(std::string what) : what_(std::move(what)) {}
  // One line for logs, e.g. "CMQServerException 4440: (10100)queue is not existed ...".
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

class CMQClientException : public CMQException {
 public:
  enum class Kind {
    kInvalidArgument,  // rejected by the SDK before anything was sent
    kNetwork,          // resolve/connect/send/receive failed, or the peer closed early
    kTimeout,          // connect or response deadline passed
    kProtocol,         // the bytes received are not HTTP/1.1
    kHttpStatus,       // an HTTP status other than 200 (see httpStatus())
    kBadResponse,      // HTTP 200 whose body is not a CMQ JSON answer
  };

  CMQClientException(Kind kind, std::string message, int httpStatus = 0,
                     bool outcomeUnknown = false);

  Kind kind() const { return kind_; }
  // What went wrong, for humans.
  const std::string& getMessage() const { return message_; }
  // kHttpStatus: the HTTP status code; otherwise 0.
  int httpStatus() const { return http_status_; }
  // True when the request may have reached the server and been applied (the
  // connection broke or timed out after sending, or the answer was unreadable). A
  // retried SendMessage may then duplicate the message. False when nothing was sent.
  bool outcomeUnknown() const { return outcome_unknown_; }

  static const char* kindName(Kind kind);

 private:
  Kind kind_;
  std::string message_;
  int http_status_;
  bool outcome_unknown_;
};

class CMQServerException : public CMQException {
 public:
  CMQServerException(int code, std::string message, std::string requestId);

  // The CMQ code, e.g. 4000 invalid parameter, 4100 authentication failed, 4400
  // message too large, 4410 queue full, 4430 bad receipt handle, 4440 no such
  // queue/topic, 4460 already exists, 6000 server error, 7000 no message.
  int getCode() const { return code_; }
  // The server's message verbatim, e.g. "(10100)queue is not existed, or deleted".
  const std::string& getMessage() const { return message_; }
  const std::string& getRequestId() const { return request_id_; }
  // The number in parentheses at the start of the message (e.g. 10100), 0 if none:
  // it tells apart the many causes that share code 4000.
  int getModuleCode() const { return module_code_; }

 private:
  int code_;
  std::string message_;
  std::string request_id_;
  int module_code_;
};

// (Batch)ReceiveMessage: the queue had no receivable message within the wait.
class CMQNoMessageException : public CMQServerException {
 public:
  static constexpr int kCode = 7000;
  CMQNoMessageException(std::string message, std::string requestId)
      : CMQServerException(kCode, std::move(message), std::move(requestId)) {}
};

// BatchDeleteMessage: some (code 6010) or all (code 6020) handles were not deleted.
// The handles not listed in errorList() were deleted.
class CMQBatchDeleteException : public CMQServerException {
 public:
  struct Failure {
    int code = 0;  // e.g. 4430 invalid or expired receipt handle
    std::string message;
    std::string receiptHandle;
  };
  CMQBatchDeleteException(int code, std::string message, std::string requestId,
                          std::vector<Failure> errorList)
      : CMQServerException(code, std::move(message), std::move(requestId)),
        error_list_(std::move(errorList)) {}
  const std::vector<Failure>& errorList() const { return error_list_; }

 private:
  std::vector<Failure> error_list_;
};

}  // namespace cmq
