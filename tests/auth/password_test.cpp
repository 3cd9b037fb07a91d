// Argon2id password hashes (hub/auth/password.cpp). Guards: a password kept in clear or under a
// fast hash, a hash that any password verifies, and two accounts with one password sharing a hash.

#include <catch2/catch.hpp>

#include "hub/auth/password.h"

TEST_CASE("passwords are hashed with Argon2id and a salt of their own", "[auth]") {
  std::string a = hub::auth::hash_password("mật khẩu đủ dài 2026");
  std::string b = hub::auth::hash_password("mật khẩu đủ dài 2026");
  CHECK(a.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(a != b);
  CHECK(a.find("mật khẩu") == std::string::npos);
  CHECK(hub::auth::verify_password(a, "mật khẩu đủ dài 2026"));
  CHECK(hub::auth::verify_password(b, "mật khẩu đủ dài 2026"));
  CHECK_FALSE(hub::auth::verify_password(a, "mật khẩu đủ dài 2025"));
  CHECK_FALSE(hub::auth::verify_password(a, ""));
  CHECK_FALSE(hub::auth::verify_password("not a hash", "x"));
}

TEST_CASE("a password must have from 10 to 1024 bytes", "[auth]") {
  CHECK_FALSE(hub::auth::check_password("short"));
  CHECK(hub::auth::check_password("ten chars!"));
  CHECK_FALSE(hub::auth::check_password(std::string(1025, 'x')));
}
