#pragma once
// Passwords of console accounts: Argon2id (libargon2) in the PHC string format, with a random
// salt per password. The cost is OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): a
// stolen table is slow to guess, and a sign-in costs about 20-40 ms of one core.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "hub/common/result.h"

namespace hub::auth {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 1024;  // bounds the hashing work per attempt

// Error "user.password_weak" when the password is too short or too long.
Status check_password(std::string_view password);
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>". Throws std::runtime_error if libargon2 fails.
std::string hash_password(std::string_view password);
// True when `password` matches `encoded` (constant time in libargon2).
bool verify_password(const std::string& encoded, std::string_view password);
// Does the same work as a verification, for an unknown login: the answer takes as long whether
// the account exists or not.
void burn_password_time(std::string_view password);

}  // namespace hub::auth
