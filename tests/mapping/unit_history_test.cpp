// Administrative units across the 1 July 2025 reform, read from the real catalogs: validity,
// predecessors and successors from the crosswalk, and the units a report as of a date shows.

#include <catch2/catch.hpp>

#include "hub/mapping/unit_history.h"

using namespace hub;
using namespace hub::catalog;

namespace {

const CatalogSet& catalogs() {
  static std::shared_ptr<const CatalogSet> set = [] {
    auto r = CatalogSet::load_dir(HUB_SOURCE_DIR "/mappings/catalogs");
    if (!r.ok()) FAIL("load_dir failed: " << r.error().message);
    return *r;
  }();
  return *set;
}

std::vector<std::string> codes(const std::vector<UnitLink>& links) {
  std::vector<std::string> out;
  for (const auto& l : links) out.push_back(l.code);
  return out;
}

}  // namespace

TEST_CASE("unit history: an old commune is valid to 30 June 2025 and names its successors", "[mapping][units]") {
  // 11341 Phường Gia Viên was split into three new wards.
  auto h = unit_history(catalogs(), "11341", Date{2025, 5, 31});
  REQUIRE(h.ok());
  CHECK(h->unit->name == "Phường Gia Viên");
  REQUIRE(h->unit->valid_to);
  CHECK(h->unit->valid_to->iso() == "2025-06-30");
  CHECK(codes(h->successors) == std::vector<std::string>{"11311", "11329", "11359"});
  for (const auto& s : h->successors) CHECK(s.partial);
  CHECK(h->successors[1].name == "Phường Ngô Quyền");
  CHECK(h->predecessors.empty());
  // Not valid after the reform: the lookup says so instead of returning another unit.
  CHECK(unit_history(catalogs(), "11341", Date{2025, 9, 30}).error().code == "catalog.not_valid_on");
}

TEST_CASE("unit history: a reused code names the old unit before the reform and the new one after", "[mapping][units]") {
  auto before = unit_history(catalogs(), "11329", Date{2025, 5, 31});
  auto after = unit_history(catalogs(), "11329", Date{2025, 9, 30});
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  CHECK(before->unit->name == "Phường Máy Chai");
  CHECK(codes(before->successors) == std::vector<std::string>{"11329"});
  CHECK_FALSE(before->successors[0].partial);
  CHECK(after->unit->name == "Phường Ngô Quyền");
  REQUIRE(after->unit->valid_from);
  CHECK(after->unit->valid_from->iso() == "2025-07-01");
  CHECK_FALSE(after->unit->valid_to);
  CHECK(codes(after->predecessors) == std::vector<std::string>{"11329", "11335", "11338", "11341", "11350"});
  CHECK(after->predecessors[0].name == "Phường Máy Chai");
  CHECK_FALSE(after->predecessors[0].partial);
  CHECK(after->predecessors[3].partial);  // only part of Gia Viên went to Ngô Quyền
  CHECK(after->successors.empty());
}

TEST_CASE("report units: as_of keeps the unit of the date and current maps it forward", "[mapping][units]") {
  const Date may{2025, 5, 31};
  CHECK(codes(report_units(catalogs(), "11320", may, UnitsMode::kAsOf)) == std::vector<std::string>{"11320"});
  CHECK(report_units(catalogs(), "11320", may, UnitsMode::kAsOf)[0].name == "Phường Hoàng Văn Thụ");
  // Hoàng Văn Thụ went whole into 11311 (Hồng Bàng).
  auto fwd = report_units(catalogs(), "11320", may, UnitsMode::kCurrent);
  CHECK(codes(fwd) == std::vector<std::string>{"11311"});
  CHECK(fwd[0].name == "Phường Hồng Bàng");
  CHECK_FALSE(fwd[0].partial);
  // A split unit has no single current unit: every successor, marked partial.
  auto split = report_units(catalogs(), "11341", may, UnitsMode::kCurrent);
  CHECK(codes(split) == std::vector<std::string>{"11311", "11329", "11359"});
  for (const auto& s : split) CHECK(s.partial);
  // A current code after the reform stays itself.
  auto now = report_units(catalogs(), "11329", Date{2025, 9, 30}, UnitsMode::kCurrent);
  CHECK(codes(now) == std::vector<std::string>{"11329"});
  CHECK(now[0].name == "Phường Ngô Quyền");
  CHECK(parse_units_mode("as_of") == UnitsMode::kAsOf);
  CHECK(parse_units_mode("current") == UnitsMode::kCurrent);
  CHECK_FALSE(parse_units_mode("today"));
}
