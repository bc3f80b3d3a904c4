// Receipt handles: the opaque strings a receive hands out and a delete takes back.
//
// A handle names the queue's internal uid (never reused, so a re-created queue of the
// same name rejects old handles), the message's position in that queue and its receive
// generation (so only the latest receive's handle matches). A 64-bit SipHash MAC keyed
// by a per-queue secret makes handles unforgeable: flipping a position or generation
// gives an invalid handle, not another message.
//
// Wire form: base64url without padding of 29 bytes = 39 characters from
// [A-Za-z0-9_-]; never starts with '@' (spec 5.3). Decoding never crashes on garbage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cmq::broker {

struct ReceiptHandle {
  uint64_t queue_uid = 0;
  uint64_t position = 0;
  uint32_t generation = 0;
};

// `key` is the queue's handle key (any length; 16 bytes in practice).
std::string EncodeReceiptHandle(const ReceiptHandle& h, std::string_view key);

// Parses the wire form and checks the MAC with `key`. nullopt for anything else.
std::optional<ReceiptHandle> DecodeReceiptHandle(std::string_view text, std::string_view key);

// SipHash-2-4 with a 16-byte key (shorter keys are zero-padded). Exposed for tests.
uint64_t SipHash24(std::string_view key, std::string_view data);

}  // namespace cmq::broker
