// Uses the installed SDK without a server: builds an Account, checks that bad
// arguments are refused before any network call, and that a call to an endpoint where
// nobody listens fails as a network error. Exit 0 when all of that holds.
#include <cmq/cmq.h>

#include <iostream>

int main() {
  cmq::CMQClientOptions options;
  options.connectTimeoutMs = 2000;
  options.signMethod = cmq::SignMethod::kHmacSHA256;
  // Port 9 (discard) on loopback: nothing listens there on a normal machine.
  cmq::Account account("http://127.0.0.1:9", "AKIDconsumer", "consumer-key", options);
  try {
    account.getQueue("not a valid name");
    std::cerr << "an invalid queue name was accepted\n";
    return 1;
  } catch (const cmq::CMQClientException& e) {
    if (e.kind() != cmq::CMQClientException::Kind::kInvalidArgument) return 1;
  }
  try {
    account.getQueue("orders").sendMessage("hello");
    std::cerr << "a send to a closed port succeeded\n";
    return 1;
  } catch (const cmq::CMQClientException& e) {
    std::cout << "expected failure: " << e.what() << "\n";
    if (e.kind() != cmq::CMQClientException::Kind::kNetwork) return 1;
  } catch (const cmq::CMQException& e) {
    std::cerr << "unexpected: " << e.what() << "\n";
    return 1;
  }
  std::cout << "libcmq consumer: ok\n";
  return 0;
}
