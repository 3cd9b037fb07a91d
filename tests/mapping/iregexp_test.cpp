// hub/mapping/iregexp: patterns of match()/search() may come from the vendor documents
// themselves (match(@.name, @.pattern)). Guards against: the recursive translator overflowing
// the stack on a pattern of deeply nested groups.

#include <catch2/catch.hpp>

#include <string>

#include "hub/mapping/iregexp.h"

using hub::jsonpath::Regex;
using hub::jsonpath::translate_iregexp;

TEST_CASE("groups nested deeper than 64 make the pattern invalid instead of exhausting the stack", "[iregexp]") {
  std::string out;
  std::string ok = std::string(64, '(') + "a" + std::string(64, ')');
  CHECK(translate_iregexp(ok, out));
  auto re = Regex::compile(ok, true);
  REQUIRE(re);
  CHECK(re->matches("a"));

  out.clear();
  CHECK_FALSE(translate_iregexp(std::string(65, '(') + "a" + std::string(65, ')'), out));
  // A million open groups: refused at the 65th, without recursing further.
  CHECK_FALSE(Regex::compile(std::string(1000000, '('), false));
  CHECK_FALSE(Regex::compile("a|" + std::string(1000000, '(') + "b" + std::string(1000000, ')'), true));
}
