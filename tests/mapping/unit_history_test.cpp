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

TEST_CASE("place unit: a school of a merged commune shows the old commune before the reform and the new one after",
          "[mapping][units]") {
  // Xã Ia Pết (23716) and Xã Ia Băng (23719), district Đăk Đoa of old Gia Lai (64), merged on
  // 1 July 2025 into Xã Ia Băng (23710) of the new Gia Lai (52).
  const Date before{2024, 9, 30}, after{2025, 9, 30};
  // Stored with the old code, never recoded.
  std::vector<CommuneValue> old_only{{"23716", false}};
  auto p = place_unit(catalogs(), old_only, before, UnitsMode::kAsOf);
  CHECK(p.commune == "23716");
  CHECK(p.name == "Xã Ia Pết");
  CHECK(p.province == "64");
  CHECK(p.resolved);
  p = place_unit(catalogs(), old_only, before, UnitsMode::kCurrent);
  CHECK(p.commune == "23710");
  CHECK(p.name == "Xã Ia Băng");
  CHECK(p.province == "52");
  // From the reform on, as_of and current are the same units.
  CHECK(place_unit(catalogs(), old_only, after, UnitsMode::kAsOf).commune == "23710");
  // Recoded: the current code now, the old one in the earlier version.
  std::vector<CommuneValue> recoded{{"23710", false}, {"23719", false}};
  p = place_unit(catalogs(), recoded, before, UnitsMode::kAsOf);
  CHECK(p.commune == "23719");
  CHECK(p.province == "64");
  CHECK(place_unit(catalogs(), recoded, before, UnitsMode::kCurrent).commune == "23710");
  CHECK(place_unit(catalogs(), recoded, after, UnitsMode::kAsOf).commune == "23710");
}

TEST_CASE("place unit: no guess where the history does not say which unit", "[mapping][units]") {
  const Date before{2024, 9, 30};
  // Stored with the new code only: Ia Băng (23710) was formed from two old communes.
  auto p = place_unit(catalogs(), {{"23710", false}}, before, UnitsMode::kAsOf);
  CHECK(p.commune == "23710");
  CHECK(p.name == "Xã Ia Băng");
  CHECK_FALSE(p.resolved);
  // The same code recorded before the reform named Xã A Dơk, which went into 23869.
  p = place_unit(catalogs(), {{"23710", true}}, before, UnitsMode::kAsOf);
  CHECK(p.commune == "23710");
  CHECK(p.name == "Xã A Dơk");
  CHECK(p.resolved);
  CHECK(place_unit(catalogs(), {{"23710", true}}, before, UnitsMode::kCurrent).commune == "23869");
  // A split commune (Gia Viên went into three wards) asked for current units: kept, unresolved.
  p = place_unit(catalogs(), {{"11341", false}}, before, UnitsMode::kCurrent);
  CHECK(p.commune == "11341");
  CHECK(p.name == "Phường Gia Viên");
  CHECK_FALSE(p.resolved);
  // Decided to Ngô Quyền (11329): placed there today, and in Gia Viên before the reform.
  std::vector<CommuneValue> decided{{"11329", false}, {"11341", false}};
  CHECK(place_unit(catalogs(), decided, before, UnitsMode::kCurrent).commune == "11329");
  CHECK(place_unit(catalogs(), decided, before, UnitsMode::kAsOf).commune == "11341");
  // Unknown codes stay as they are.
  p = place_unit(catalogs(), {{"99999", false}}, before, UnitsMode::kAsOf);
  CHECK(p.commune == "99999");
  CHECK_FALSE(p.resolved);
}
