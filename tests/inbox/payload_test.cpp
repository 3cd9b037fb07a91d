// hub/inbox/payload: how a push is read before anything is stored. Guards against: a string
// with a NUL or malformed UTF-8 taken into a record (PostgreSQL refused the row and the batch
// was retried for ever) instead of that record alone being rejected with a reason; bad text
// outside every record slipping through; a deep NDJSON line crashing the hub; a pool of 64 KiB
// per NDJSON line (a body of small lines took gigabytes).

#include <catch2/catch.hpp>

#include <string>

#include "hub/common/json.h"
#include "hub/inbox/payload.h"
#include "hub/mapping/mapping_registry.h"

using namespace hub;
using namespace std::string_literals;

namespace {

std::shared_ptr<const mapping::Mapping> admissions() {
  static const auto kMapping = [] {
    std::string dir = std::string(HUB_SOURCE_DIR) + "/mappings";
    auto context = mapping::load_context(dir);
    REQUIRE(context.ok());
    auto m = mapping::Mapping::load_file(dir + "/partners/demo-admissions/admissions.yaml", context.value());
    REQUIRE(m.ok());
    return m.value();
  }();
  return kMapping;
}

// A record the demo mapping accepts (no school lookup in the mapping itself).
std::string record(const std::string& id, const std::string& name) {
  return R"({"maHoSo":")" + id + R"(","hoTen":")" + name +
         R"(","ngaySinh":"05/01/2014","gioiTinh":"Nam","danToc":"Kinh","soDinhDanh":"031214001234",)"
         R"("diaChi":{"soNha":"12 Lạch Tray","maXa":"11320"},"truongDangKy":"HP-THCS-0012",)"
         R"("nguyenVong":1,"ngayNopHoSo":"02/06/2025","ketQua":"Trúng tuyển"})";
}

}  // namespace

TEST_CASE("a record with a NUL or malformed UTF-8 is rejected alone with the path of the text", "[ingest][payload]") {
  auto m = admissions();
  std::string body = R"({"donViGui":"Cổng","namHoc":"2025-2026","hoSo":[)" + record("A1", "Nguyễn Văn An") + "," +
                     record("A2", "Trần\\u0000Mai") + "," + record("A3", "L\xEA Nam") + "]}";
  Payload p;
  REQUIRE(parse_payload(body, "application/json", *m, 64, p).ok());
  REQUIRE(p.records.size() == 3);
  CHECK_FALSE(p.records[0].refusal);
  REQUIRE(p.records[1].refusal);
  CHECK(p.records[1].refusal->code == "record.invalid_text");
  CHECK(p.records[1].refusal->path == "$['hoSo'][1]['hoTen']");
  CHECK(p.records[1].refusal->message.find("NUL") != std::string::npos);
  CHECK(p.records[1].refusal->message_vi.find("UTF-8") != std::string::npos);
  REQUIRE(p.records[2].refusal);
  CHECK(p.records[2].refusal->path == "$['hoSo'][2]['hoTen']");
  CHECK(p.records[2].refusal->message.find("UTF-8") != std::string::npos);

  auto good = map_payload_record(*m, p.records[0], 0);
  CHECK(good.status != mapping::RecordStatus::kRejected);
  auto bad = map_payload_record(*m, p.records[1], 1);
  CHECK(bad.status == mapping::RecordStatus::kRejected);
  CHECK(bad.path == "$['hoSo'][1]");
  REQUIRE(bad.issues.size() == 1);
  CHECK(bad.issues[0].value.empty());  // the bad text is not echoed

  // A bad member name rejects its record too.
  Payload names;
  std::string with_name = R"({"hoSo":[)" + record("B1", "An").insert(1, "\"x\xFF\":1,") + "]}";
  REQUIRE(parse_payload(with_name, "application/json", *m, 64, names).ok());
  REQUIRE(names.records[0].refusal);
  CHECK(names.records[0].refusal->path == "$['hoSo'][0]['x\xEF\xBF\xBD']");
}

TEST_CASE("bad text outside every record refuses the whole push", "[ingest][payload]") {
  Payload p;
  auto st = parse_payload(R"({"donViGui":"C\u0000ng","hoSo":[)" + record("A1", "An") + "]}", "application/json",
                          *admissions(), 64, p);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "request.invalid_text");
  CHECK(st.error().path == "$['donViGui']");
}

TEST_CASE("NDJSON: a bad line is rejected alone - a line too deep refuses the push", "[ingest][payload]") {
  auto m = admissions();
  std::string body = record("N1", "An") + "\n" + record("N2", "B\\u0000") + "\n\n" + record("N3", "C") +
                     "\0trailing"s + "\n" + "{\"maHoSo\":\"N4\"" + "\n";
  Payload p;
  REQUIRE(parse_payload(body, "application/x-ndjson", *m, 64, p).ok());
  REQUIRE(p.records.size() == 4);
  CHECK_FALSE(p.records[0].refusal);
  CHECK(p.records[1].refusal->code == "record.invalid_text");
  CHECK(p.records[1].refusal->path == "$[1]['hoTen']");
  CHECK(p.records[2].refusal->code == "record.malformed_json");  // data after a NUL byte
  CHECK(p.records[2].refusal->message.rfind("line 3 is not valid JSON: ", 0) == 0);
  CHECK(p.records[3].refusal->code == "record.malformed_json");

  Payload deep;
  std::string lines = record("D1", "An") + "\n{\"hoSo\":" + std::string(100000, '[') + std::string(100000, ']') + "}\n";
  auto st = parse_payload(lines, "application/x-ndjson", *m, 64, deep);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "request.too_deep");
  CHECK(st.error().message.rfind("line 2: ", 0) == 0);
  CHECK(st.error().offset > record("D1", "An").size());  // offset in the whole body
}

TEST_CASE("NDJSON lines share one pool - memory follows the body size", "[ingest][payload]") {
  std::string body;
  for (int i = 0; i < 50000; ++i) body += "{\"maHoSo\":\"" + std::to_string(i) + "\",\"x\":[1,2]}\n";
  Payload p;
  REQUIRE(parse_payload(body, "application/x-ndjson", *admissions(), 64, p).ok());
  CHECK(p.records.size() == 50000);
  // A pool per line took 64 KiB each (3 GB here); shared, it is a few times the body.
  CHECK(p.pool.Capacity() < 16 * body.size());
}
