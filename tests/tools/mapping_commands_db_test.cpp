// `hubctl mapping run` on long files (hub/tools/mapping_commands.cpp): the results are written
// a slice of records at a time, as they are made. Guards: every record's result is written
// once, in order, across slices, with and without the reference check; and memory does not grow
// with every record's result (an 87 MB transcript file took 2.4 GB when the results were all
// held before printing: docs/benchmarks.md, large documents).

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string transcripts_mapping() { return kPartnersDir + "/demo-transcripts/transcripts.yaml"; }

// A transcript-platform export of `students` distinct students (the sample's, renumbered).
std::string transcript_file(int students, const std::string& tag) {
  const std::string path = "/tmp/hub-mapping-run-" + tag + "-" + std::to_string(::getpid()) + ".json";
  std::ofstream out(path);
  out << R"({"provider": "HocBaSo", "exportedAt": "2026-06-01T10:00:00+07:00", "school": "HP-THCS-0012",)"
         R"( "schoolYear": "2025-2026", "students": [)";
  for (int i = 0; i < students; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "%07d", i);
    out << (i ? "," : "") << R"({"studentId": "HB-)" << id << R"(", "moetCode": "31)" << id
        << R"(0", "fullName": "Nguyen Van An", "dob": "2014-01-05", "sex": "M", "ethnicCode": "01",)"
           R"( "citizenId": "031214)" << std::string(id).substr(1) << R"(", "grade": "6", "className": "6A1",)"
           R"( "enrolledOn": "2025-09-05", "status": "dang_hoc", "results": [{"subject": "TOAN", "term": "HK1", "score": 8.5},)"
           R"( {"subject": "NGU_VAN", "term": "HK1", "score": "7,25"}], "summary": {"term": "HK1", "learning": "T", "conduct": "T"}})";
  }
  out << "]}";
  return path;
}

// Peak resident memory (KiB) of `hubctl mapping run --no-check-refs` on `file`.
long peak_kib(const std::string& file) {
  auto r = run_process({"/usr/bin/time", "-f", "peak %M", binary("hubctl"), "mapping", "run", "--no-check-refs", transcripts_mapping(), file},
                       {}, 300000);
  REQUIRE(r.exit_code == 0);
  auto at = r.err.rfind("peak ");
  REQUIRE(at != std::string::npos);
  return std::stol(r.err.substr(at + 5));
}

}  // namespace

TEST_CASE("hubctl mapping run writes every result once and in order across slices", "[db][hubctl][mapping]") {
  reset_database();
  const int n = 1234;  // more than two slices of 500
  const std::string file = transcript_file(n, "order");
  for (const std::string flag : {"--no-check-refs", "--check-refs"}) {
    INFO(flag);
    auto run = hubctl({"mapping", "run", flag, transcripts_mapping(), file});
    REQUIRE(run.exit_code == 0);
    auto doc = parse_json(run.out);
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("mapping_version"));
    REQUIRE(doc["results"].IsArray());
    REQUIRE(doc["results"].Size() == static_cast<unsigned>(n));
    for (int i = 0; i < n; ++i) {
      const auto& r = doc["results"][i];
      REQUIRE(r["index"].GetInt() == i);
      char id[32];
      std::snprintf(id, sizeof id, "HB-%07d", i);
      REQUIRE(std::string(r["source_id"].GetString()) == id);
      REQUIRE(r["status"].IsString());
      REQUIRE(r["errors"].IsArray());
    }
  }
  std::remove(file.c_str());
}

TEST_CASE("hubctl mapping run memory does not grow with every result", "[db][hubctl][mapping]") {
  const std::string tiny = transcript_file(10, "tiny"), large = transcript_file(20000, "large");
  const long base = peak_kib(tiny);
  const long size_kib = static_cast<long>(std::ifstream(large, std::ios::ate).tellg() / 1024);
  const long peak = peak_kib(large);
  INFO("base " << base << " KiB, file " << size_kib << " KiB, peak " << peak << " KiB");
  // The file, its parsed document and a slice of results; holding every result took 30x.
  CHECK(peak - base < 12 * size_kib);
  std::remove(tiny.c_str());
  std::remove(large.c_str());
}
