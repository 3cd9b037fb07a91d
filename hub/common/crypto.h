#pragma once
// Small wrappers over OpenSSL for tokens and request ids: CSPRNG bytes, SHA-256, HMAC,
// constant-time comparison, hex and base64url. Thread-safe (OpenSSL 3 is).

#include <string>
#include <string_view>

namespace hub::crypto {

std::string random_bytes(std::size_t n);               // from the OS CSPRNG; throws on failure
std::string sha256(std::string_view data);              // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
bool constant_time_equal(std::string_view a, std::string_view b);
std::string to_hex(std::string_view bytes);
std::string base64url(std::string_view bytes);          // no padding

}  // namespace hub::crypto
