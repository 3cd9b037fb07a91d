// Runs the whole JSONPath Compliance Test Suite (RFC 9535) against hub::jsonpath.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "hub/mapping/jsonpath.h"

namespace {

using rapidjson::Value;

std::string to_json(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

// Deep equality with numbers by value (the suite writes 1 and 1.0 interchangeably).
bool same_json(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    return a.GetDouble() == b.GetDouble();
  }
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString()) return a == b;
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
      auto other = b.FindMember(it->name);
      if (other == b.MemberEnd() || !same_json(it->value, other->value)) return false;
    }
    return true;
  }
  return true;  // null, true, false: the type says it all
}

bool nodes_match(const std::vector<hub::jsonpath::Node>& got, const Value& want_values,
                 const Value* want_paths) {
  if (got.size() != want_values.Size()) return false;
  for (rapidjson::SizeType i = 0; i < want_values.Size(); ++i) {
    if (!same_json(*got[i].value, want_values[i])) return false;
    if (want_paths && got[i].path != (*want_paths)[i].GetString()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("JSONPath compliance test suite passes completely", "[jsonpath][cts]") {
  std::ifstream in(HUB_SHARED_DIR "/testdata/jsonpath-cts/cts.json", std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  rapidjson::Document cts;
  cts.Parse<rapidjson::kParseFullPrecisionFlag>(text.c_str(), text.size());
  REQUIRE_FALSE(cts.HasParseError());
  const Value& tests = cts["tests"];
  REQUIRE(tests.IsArray());

  size_t passed = 0;
  for (const Value& t : tests.GetArray()) {
    std::string name = t["name"].GetString();
    std::string selector(t["selector"].GetString(), t["selector"].GetStringLength());
    INFO("case: " << name << "  selector: " << selector);
    auto q = hub::jsonpath::Query::parse(selector);
    bool ok = false;
    std::string got_desc;
    if (t.HasMember("invalid_selector") && t["invalid_selector"].GetBool()) {
      ok = !q.ok();
      if (ok) ok = q.error().code == "jsonpath.syntax";
      got_desc = "parse succeeded";
    } else if (!q.ok()) {
      got_desc = "parse failed: " + q.error().message + " at " + std::to_string(q.error().offset);
    } else {
      const Value& doc = t["document"];
      auto nodes = q->select_with_paths(doc);
      got_desc = "[";
      for (const auto& n : nodes) got_desc += to_json(*n.value) + " @ " + n.path + ", ";
      got_desc += "]";
      if (t.HasMember("result")) {
        ok = nodes_match(nodes, t["result"],
                         t.HasMember("result_paths") ? &t["result_paths"] : nullptr);
      } else {
        const Value& alts = t["results"];
        const Value* alt_paths = t.HasMember("results_paths") ? &t["results_paths"] : nullptr;
        for (rapidjson::SizeType i = 0; i < alts.Size() && !ok; ++i) {
          ok = nodes_match(nodes, alts[i], alt_paths ? &(*alt_paths)[i] : nullptr);
        }
      }
      // The fast entry points must agree with the full one.
      std::vector<const Value*> plain;
      q->select(doc, plain);
      bool same = plain.size() == nodes.size();
      for (size_t i = 0; same && i < plain.size(); ++i) same = plain[i] == nodes[i].value;
      const Value* one = q->select_one(doc);
      same = same && one == (nodes.empty() ? nullptr : nodes[0].value);
      if (!same) got_desc += " (select/select_one disagree with select_with_paths)";
      ok = ok && same;
    }
    INFO("got: " << got_desc);
    CHECK(ok);
    if (ok) ++passed;
  }
  std::cout << "JSONPath CTS: " << passed << "/" << tests.Size() << " passed" << std::endl;
  REQUIRE(passed == tests.Size());
}
