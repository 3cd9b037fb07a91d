#include <catch2/catch.hpp>

#include "hub/common/crypto.h"
#include "hub/common/scopes.h"

using namespace hub;

TEST_CASE("scope strings are validated", "[scopes]") {
  CHECK(check_scope("admin").ok());
  CHECK(check_scope("ingest:student").ok());
  CHECK(check_scope("pull:*").ok());
  CHECK(check_scope("correct:school").ok());
  CHECK(check_scope("correct:*").ok());
  CHECK_FALSE(check_scope("correct:pupil").ok());
  CHECK_FALSE(check_scope("ingest:pupil").ok());
  CHECK_FALSE(check_scope("push:student").ok());
  CHECK_FALSE(check_scope("").ok());
  CHECK(check_scope("ingest:pupil").error().code == "scope.invalid");
}

TEST_CASE("has_scope honours wildcards but admin is not a data scope", "[scopes]") {
  std::vector<std::string> g = {"ingest:student", "pull:*"};
  CHECK(has_scope(g, "ingest:student"));
  CHECK_FALSE(has_scope(g, "ingest:staff"));
  CHECK(has_scope(g, "pull:school"));
  CHECK_FALSE(has_scope(g, "admin"));
  CHECK_FALSE(has_scope({"admin"}, "ingest:student"));
  CHECK(has_scope({"ingest:*"}, "ingest:enrollment"));
}

TEST_CASE("units restrict by school - commune or province", "[scopes]") {
  CHECK(check_unit("province:31").ok());
  CHECK(check_unit("commune:11311").ok());
  CHECK(check_unit("school:HP-THCS-0012").ok());
  CHECK_FALSE(check_unit("province:031").ok());
  CHECK_FALSE(check_unit("district:303").ok());
  CHECK_FALSE(check_unit("school:").ok());

  UnitPath p{"HP-0001", "11311", "31"};
  CHECK(unit_allowed({}, p));
  CHECK(unit_allowed({"province:31"}, p));
  CHECK_FALSE(unit_allowed({"province:01"}, p));
  CHECK(unit_allowed({"commune:11311"}, p));
  CHECK_FALSE(unit_allowed({"commune:11312", "school:HP-0002"}, p));
  CHECK(unit_allowed({"school:HP-0001"}, p));
  CHECK_FALSE(unit_allowed({"province:31"}, UnitPath{"X", "", ""}));  // unknown place: refuse
}

TEST_CASE("crypto helpers", "[crypto]") {
  CHECK(crypto::to_hex(crypto::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::base64url("\xfb\xff") == "-_8");
  CHECK(crypto::base64url(crypto::random_bytes(32)).size() == 43);
  CHECK(crypto::random_bytes(32) != crypto::random_bytes(32));
  CHECK(crypto::constant_time_equal("abc", "abc"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "ab"));
  // RFC 4231 test case 2
  CHECK(crypto::to_hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
