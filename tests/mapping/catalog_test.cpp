#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "hub/mapping/catalog.h"

using namespace hub;
using namespace hub::catalog;

namespace {

const std::string kCatalogDir = HUB_SOURCE_DIR "/mappings/catalogs";

// Loaded once: the real catalogs are read-only, and loading them in every test case would
// hide the load time we measure below.
std::shared_ptr<const CatalogSet> real_set() {
  static std::shared_ptr<const CatalogSet> set = [] {
    auto t0 = std::chrono::steady_clock::now();
    auto r = CatalogSet::load_dir(kCatalogDir);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) FAIL("load_dir failed: " << r.error().message);
    std::cerr << "[catalog] load_dir(mappings/catalogs) took " << ms << " ms\n";
    return *r;
  }();
  return set;
}

const Catalog& cat(const char* name) {
  const Catalog* c = real_set()->find(name);
  if (!c) FAIL("catalog " << name << " missing");
  return *c;
}

Date d(int y, int m, int dd) { return Date{y, m, dd}; }

std::size_t count_valid_on(const Catalog& c, Date on) {
  std::size_t n = 0;
  for (const auto& e : c.entries())
    if (e.valid_on(on)) ++n;
  return n;
}

LookupOptions on(Date date) {
  LookupOptions o;
  o.as_of = date;
  return o;
}

// A scratch folder for broken catalogs, removed when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("hub_catalog_test_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

const char* kMiniHeader =
    "name: \"mini\"\ntitle_vi: \"x\"\ntitle_en: \"x\"\ndescription: \"x\"\nsource: \"x\"\n"
    "licence: \"x\"\ncanonical_code_system: \"c\"\ncode_systems:\n- id: \"c\"\n";

}  // namespace

TEST_CASE("all catalogs load - fast", "[catalog]") {
  auto t0 = std::chrono::steady_clock::now();
  auto r = CatalogSet::load_dir(kCatalogDir);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r.ok());
  std::cerr << "[catalog] second load_dir took " << ms << " ms\n";
  CHECK(ms < 1000.0);
  std::vector<std::string> names;
  for (const Catalog* c : (*r)->list()) names.push_back(c->name());
  for (const char* n : {"province", "commune", "district_legacy", "admin_crosswalk", "ethnicity", "religion",
                        "gender", "nationality", "school_level", "school_type", "grade", "subject", "rating_tt22",
                        "rating_tt27", "admission_result", "student_status", "cccd_prefix"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  CHECK((*r)->find("no_such_catalog") == nullptr);
}

TEST_CASE("administrative units after the 2025 reform", "[catalog]") {
  const Catalog& province = cat("province");
  const Catalog& commune = cat("commune");
  CHECK(count_valid_on(province, d(2025, 9, 30)) == 34);
  CHECK(count_valid_on(province, d(2024, 9, 30)) == 63);
  CHECK(count_valid_on(commune, d(2025, 9, 30)) == 3321);
  CHECK(count_valid_on(commune, d(2024, 9, 30)) == 10035);
  CHECK(count_valid_on(cat("district_legacy"), d(2024, 9, 30)) == 696);
  CHECK(count_valid_on(cat("district_legacy"), d(2025, 9, 30)) == 0);

  // Hải Phòng is 31, however it is spelled.
  for (const char* s : {"Hải Phòng", "hai phong", "HẢI PHÒNG", "Thành phố Hải Phòng", "TP. Hải Phòng",
                        "Ha\xCC\x89i Pho\xCC\x80ng" /* NFD */}) {
    auto r = province.lookup(s, {});
    INFO(s);
    REQUIRE(r.ok());
    CHECK((*r)->code == "31");
    CHECK_FALSE((*r)->valid_to.has_value());
  }
  // Hải Dương existed until the reform only.
  auto hd = province.lookup("Hải Dương", on(d(2024, 9, 30)));
  REQUIRE(hd.ok());
  CHECK((*hd)->code == "30");
  auto hd_now = province.lookup("30", on(d(2025, 9, 30)));
  REQUIRE_FALSE(hd_now.ok());
  CHECK(hd_now.error().code == "catalog.not_valid_on");

  // A Hải Phòng ward (1669/NQ-UBTVQH15 khoản 8) by folded name, qualified by province.
  LookupOptions hp;
  hp.parent = "31";
  auto hb = commune.lookup("phuong hong bang", hp);
  REQUIRE(hb.ok());
  CHECK((*hb)->code == "11311");
  CHECK((*hb)->name == "Phường Hồng Bàng");
  CHECK((*hb)->parent == "31");
  auto hb2 = commune.lookup("Hồng Bàng", hp);  // unit type omitted
  REQUIRE(hb2.ok());
  CHECK((*hb2)->code == "11311");
  // Tone-mark placement: the 2026 data writes "Thuỷ", vendors write "Thủy".
  auto thuy = commune.lookup("Phường Thủy Nguyên", hp);
  REQUIRE(thuy.ok());
  CHECK((*thuy)->parent == "31");
}

TEST_CASE("official 1027 codes win - thanglequoc codes are aliases", "[catalog]") {
  const Catalog& commune = cat("commune");
  auto bache = commune.lookup("06970", {});
  REQUIRE(bache.ok());
  CHECK((*bache)->name == "Xã Ba Chẽ");
  CHECK((*bache)->codes.at("thanglequoc") == "06978");
  auto alias = commune.lookup("06978", {});
  REQUIRE(alias.ok());
  CHECK((*alias)->code == "06970");
  // 23938 was an old commune's code too: the date decides.
  auto iamo_now = commune.lookup("23938", on(d(2025, 9, 30)));
  REQUIRE(iamo_now.ok());
  CHECK((*iamo_now)->code == "23737");
  auto iamo_old = commune.lookup("23938", on(d(2024, 9, 30)));
  REQUIRE(iamo_old.ok());
  CHECK((*iamo_old)->code == "23938");
  CHECK((*iamo_old)->valid_to == d(2025, 6, 30));
}

TEST_CASE("pre-reform codes are selected by as_of", "[catalog]") {
  const Catalog& commune = cat("commune");
  // 11320 Phường Hoàng Văn Thụ (old Hồng Bàng district) was merged into Phường Hồng Bàng.
  auto old = commune.lookup("11320", on(d(2024, 9, 30)));
  REQUIRE(old.ok());
  CHECK((*old)->name == "Phường Hoàng Văn Thụ");
  CHECK((*old)->parent == "303");
  auto gone = commune.lookup("11320", on(d(2025, 9, 30)));
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == "catalog.not_valid_on");
  CHECK_THAT(gone.error().message, Catch::Contains("2025-06-30"));
  // A reused code: 11311 was Phường Minh Khai, is now Phường Hồng Bàng.
  CHECK((*commune.lookup("11311", on(d(2024, 9, 30))))->name == "Phường Minh Khai");
  CHECK((*commune.lookup("11311", on(d(2025, 9, 30))))->name == "Phường Hồng Bàng");
  CHECK((*commune.lookup("11311", {}))->name == "Phường Hồng Bàng");  // current wins
  CHECK(commune.find_all_by_code("11311").size() == 2);
  // The province filter reaches legacy communes through their old district.
  LookupOptions hp = on(d(2024, 9, 30));
  hp.parent = "31";
  auto legacy = commune.lookup("Hoàng Văn Thụ", hp);
  REQUIRE(legacy.ok());
  CHECK((*legacy)->code == "11320");
}

TEST_CASE("codes match exactly - lost leading zeros are reported", "[catalog]") {
  const Catalog& commune = cat("commune");
  LookupOptions by_code;
  by_code.by = LookupBy::kCode;
  auto r = commune.lookup("4", by_code);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "catalog.not_found");
  CHECK_THAT(r.error().message, Catch::Contains("5 digits"));
  CHECK(commune.lookup(" 00004 ", by_code).ok());  // trimming is fine
  auto nf = cat("province").lookup("Atlantis", {});
  REQUIRE_FALSE(nf.ok());
  CHECK(nf.error().code == "catalog.not_found");
  CHECK_THAT(nf.error().message, Catch::Contains("Atlantis") && Catch::Contains("province"));
  LookupOptions bad_system;
  bad_system.code_system = "nope";
  auto bs = cat("ethnicity").lookup("04", bad_system);
  REQUIRE_FALSE(bs.ok());
  CHECK(bs.error().code == "catalog.unknown_code_system");
}

TEST_CASE("name lookups that hit several entries are ambiguous", "[catalog]") {
  const Catalog& commune = cat("commune");
  // "Tân Tiến" is a commune name in many provinces.
  auto r = commune.lookup("Xã Tân Tiến", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "catalog.ambiguous");
  CHECK_THAT(r.error().message, Catch::Contains("parent"));
  // The message lists the candidate codes.
  CHECK(r.error().message.find_first_of("0123456789") != std::string::npos);
  auto cands = 0;
  for (const auto& e : commune.entries())
    if (e.name == "Xã Tân Tiến" && !e.valid_to) ++cands;
  CHECK(cands > 1);
}

TEST_CASE("old -> new crosswalk never guesses", "[catalog]") {
  auto set = real_set();
  // 1669/NQ-UBTVQH15: Gia Viên (11341) was split between Hồng Bàng (k.8), Ngô Quyền (k.10) and
  // the new Gia Viên (k.11).
  auto split = set->crosswalk_commune("11341");
  REQUIRE(split.ok());
  CHECK(split->kind == CrosswalkResult::Kind::kPartial);
  CHECK(split->new_codes == std::vector<std::string>{"11311", "11329", "11359"});
  // Hoàng Văn Thụ went whole into Hồng Bàng (k.8).
  auto full = set->crosswalk_commune("11320");
  REQUIRE(full.ok());
  CHECK(full->kind == CrosswalkResult::Kind::kFull);
  CHECK(full->new_codes == std::vector<std::string>{"11311"});
  // Máy Chai went whole into Ngô Quyền, which kept its code (k.10).
  auto same = set->crosswalk_commune("11329");
  REQUIRE(same.ok());
  CHECK(same->kind == CrosswalkResult::Kind::kSame);
  // Island district without communes.
  auto island = set->crosswalk_commune("318");
  REQUIRE(island.ok());
  CHECK(island->new_codes == std::vector<std::string>{"11948"});
  auto nf = set->crosswalk_commune("99999");
  REQUIRE_FALSE(nf.ok());
  CHECK(nf.error().code == "catalog.not_found");
}

TEST_CASE("ethnicity has two numberings", "[catalog]") {
  const Catalog& eth = cat("ethnicity");
  CHECK(eth.entries().size() == 54);
  CHECK(eth.canonical_code_system() == "qd1019_2008");
  auto muong = eth.lookup("Mường", {});
  REQUIRE(muong.ok());
  CHECK((*muong)->codes.at("qd121_1979") == "06");
  CHECK((*muong)->codes.at("qd1019_2008") == "04");
  CHECK((*muong)->code == "04");
  LookupOptions o1979;
  o1979.code_system = "qd121_1979";
  o1979.by = LookupBy::kCode;
  CHECK((*eth.lookup("06", o1979))->name == "Mường");
  CHECK((*eth.lookup("06", {}))->name == "Hoa");  // canonical 1019 code
  for (const char* s : {"Mông", "H'Mông", "Hmong", "HMÔNG"}) CHECK((*eth.lookup(s, {}))->code == "08");
  for (const char* s : {"Khmer", "Khơ me", "khơ-me"}) CHECK((*eth.lookup(s, {}))->code == "05");
  CHECK((*eth.lookup("Việt", {}))->code == "01");
  bool unverified_marked = false;
  for (const auto& cs : eth.code_systems())
    if (cs.id == "qd1019_2008")
      unverified_marked = std::find(cs.unverified_codes.begin(), cs.unverified_codes.end(), "21") !=
                          cs.unverified_codes.end();
  CHECK(unverified_marked);
}

TEST_CASE("small catalogs", "[catalog]") {
  CHECK(cat("religion").entries().size() == 15);
  CHECK((*cat("religion").lookup("Không", {}))->code == "00");
  CHECK((*cat("gender").lookup("Nữ", {}))->code == "F");
  CHECK((*cat("gender").lookup("male", {}))->code == "M");
  CHECK_FALSE(cat("gender").lookup("1", {}).ok());  // numeric codes need a declared code system
  LookupOptions csdl;
  csdl.code_system = "csdl_gddt";
  CHECK((*cat("gender").lookup("2", csdl))->code == "F");
  CHECK((*cat("nationality").lookup("Việt Nam", {}))->code == "VN");
  CHECK((*cat("nationality").lookup("Lào", {}))->code == "LA");
  CHECK((*cat("nationality").lookup("Nga", {}))->code == "RU");  // not Nigeria's alpha-3 NGA
  LookupOptions alpha3;
  alpha3.code_system = "iso3166_alpha3";
  CHECK((*cat("nationality").lookup("VNM", alpha3))->code == "VN");
  CHECK((*cat("rating_tt22").lookup("Chưa đạt", {}))->code == "4");
  CHECK((*cat("rating_tt27").lookup("Hoàn thành tốt", {}))->code == "HTT");
  CHECK((*cat("school_level").lookup("THCS", {}))->code == "03");
  CHECK((*cat("subject").lookup("Vật lý", {}))->code == "VAT_LI");
  CHECK((*cat("grade").lookup("Lớp 10", {}))->parent == "04");
  CHECK((*cat("student_status").lookup("thoi hoc", {}))->code == "THOI_HOC");
  CHECK((*cat("admission_result").lookup("Trúng tuyển", {}))->code == "TRUNG_TUYEN");
}

TEST_CASE("personal ID prefixes", "[catalog]") {
  auto set = real_set();
  CHECK(set->is_personal_id_prefix("031"));
  CHECK(set->is_personal_id_prefix("030"));  // former Hải Dương keeps its prefix
  CHECK_FALSE(set->is_personal_id_prefix("000"));
  CHECK_FALSE(set->is_personal_id_prefix("31"));
  CHECK_FALSE(set->is_personal_id_prefix("abc"));
}

TEST_CASE("broken catalog files give errors naming the file", "[catalog]") {
  SECTION("bad YAML") {
    TempDir t;
    t.write("mini.yaml", std::string(kMiniHeader) + "entries: [ {code: \"1\", name: \"a\" }\n  - oops\n");
    auto r = CatalogSet::load_dir(t.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "catalog.load");
    CHECK_THAT(r.error().message, Catch::Contains("mini.yaml"));
    CHECK(r.error().path.find("mini.yaml") != std::string::npos);
    CHECK(r.error().offset > 0);
  }
  SECTION("bad CSV row") {
    TempDir t;
    t.write("mini.yaml", std::string(kMiniHeader) + "entries_csv: \"mini.csv\"\n");
    t.write("mini.csv", "code,name\n1,a\n2,b,extra\n");
    auto r = CatalogSet::load_dir(t.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("mini.csv:3"));
  }
  SECTION("overlapping validity of one code") {
    TempDir t;
    t.write("mini.yaml", std::string(kMiniHeader) +
                             "entries:\n  - {code: \"1\", name: \"a\"}\n  - {code: \"1\", name: \"b\", "
                             "valid_from: \"2025-07-01\"}\n");
    auto r = CatalogSet::load_dir(t.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("overlapping"));
  }
  SECTION("bad date and unknown key") {
    TempDir t;
    t.write("mini.yaml", std::string(kMiniHeader) + "entries:\n  - {code: \"1\", name: \"a\", valid_to: \"2025-02-30\"}\n");
    auto r = CatalogSet::load_dir(t.path.string());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("mini.yaml:11") && Catch::Contains("2025-02-30"));
    TempDir t2;
    t2.write("mini.yaml", std::string(kMiniHeader) + "entris: []\n");
    auto r2 = CatalogSet::load_dir(t2.path.string());
    REQUIRE_FALSE(r2.ok());
    CHECK_THAT(r2.error().message, Catch::Contains("entris"));
  }
  SECTION("missing directory") {
    auto r = CatalogSet::load_dir("/nonexistent/catalogs");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "catalog.load");
  }
}

TEST_CASE("concurrent lookups on one CatalogSet", "[catalog]") {
  auto set = real_set();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        LookupOptions hp;
        hp.parent = "31";
        auto r = set->find("commune")->lookup("Hồng Bàng", hp);
        auto x = set->crosswalk_commune("11341");
        if (!r.ok() || (*r)->code != "11311" || !x.ok() || x->new_codes.size() != 3) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
}

// Guards: a vendor's numeric codes read through a code system whose codes mean something else
// without anyone being told what each code means there.
TEST_CASE("catalogs say what each code of a code system means", "[catalog]") {
  const Catalog& gender = cat("gender");
  CHECK(gender.describe_codes("csdl_gddt") == "0 = U (Chưa có thông tin), 1 = M (Nam), 2 = F (Nữ)");
  CHECK(gender.describe_codes("qd4750_byt") == "1 = M (Nam), 2 = F (Nữ), 3 = U (Chưa có thông tin)");
  CHECK(gender.describe_codes("") == "F = Nữ, M = Nam, U = Chưa có thông tin");
  CHECK(cat("commune").describe_codes("").empty());  // too many entries to say anything useful
  CHECK(gender.is_unknown_code("U"));
  CHECK_FALSE(gender.is_unknown_code("F"));
  LookupOptions o;
  o.code_system = "csdl_gddt";
  o.by = LookupBy::kCode;
  auto r = gender.lookup("5", o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "catalog.not_found");
  CHECK(r.error().message.find("0 = U (Chưa có thông tin), 1 = M (Nam), 2 = F (Nữ)") != std::string::npos);
}
