// hubctl's listings on an empty database (print_none, hub/tools/cli_context.h). Guards: a listing
// with nothing to list that prints nothing at all, which an operator cannot tell from a command
// that failed or looked in the wrong database; and the "no ..." line written to stdout with
// --json, where it would break the JSON lines a script reads.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("empty hubctl listings say there is nothing - stdout stays JSON lines with --json", "[db][tools]") {
  reset_database();
  struct Listing {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Listing> listings = {
      {{"review", "list"}, "no open review items"},
      {{"review", "list", "--status", "all"}, "no review items"},
      {{"batch", "list"}, "no batches"},
      {{"batch", "list", "--status", "failed"}, "no failed batches"},
      {{"partner", "list"}, "no partners"},
      {{"audit"}, "no audit entries match"},
      {{"sync", "dead-letters"}, "no dead letters"},
  };
  for (const auto& l : listings) {
    INFO(l.args[0] << " " << (l.args.size() > 1 ? l.args[1] : ""));
    auto table = hubctl(l.args);
    CHECK(table.exit_code == 0);
    CHECK(table.out.find(l.says) != std::string::npos);
    std::vector<std::string> as_json = {"--json"};
    as_json.insert(as_json.end(), l.args.begin(), l.args.end());
    auto lines = hubctl(as_json);
    CHECK(lines.exit_code == 0);
    CHECK(lines.out.empty());
    CHECK(lines.err.find(l.says) != std::string::npos);
  }
  // A listing with something in it prints no such line.
  add_partner("demo-ops", {"--scope", "admin"});
  auto partners = hubctl({"partner", "list"});
  CHECK(partners.out.find("demo-ops") != std::string::npos);
  CHECK(partners.out.find("no partners") == std::string::npos);
}
