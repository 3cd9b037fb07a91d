#pragma once
// Assertions several db tests share. Header-only because they assert with Catch: the support
// sources are linked into sync_bench too, which has no Catch.

#include <catch2/catch.hpp>

#include <string>

#include "tests/support/test_env.h"

namespace hub::test {

// A push answered 200 with every record accepted.
inline void require_all_accepted(const HttpResult& r) {
  INFO(r.body.substr(0, 1500));
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(d.HasMember("results"));
  for (const auto& x : d["results"].GetArray()) REQUIRE(std::string(x["status"].GetString()) == "accepted");
}

}  // namespace hub::test
