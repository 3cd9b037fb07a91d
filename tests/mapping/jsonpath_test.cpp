#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "hub/mapping/iregexp.h"
#include "hub/mapping/jsonpath.h"

// Counts heap allocations made by this thread, so the tests below can check that the hot
// paths allocate nothing. Replacing the global operator new is the only cheap hook; it just
// forwards to malloc and so changes nothing else in the test binary.
namespace {
thread_local std::size_t t_allocations = 0;
}
void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too, so every form of new pairs with a delete that uses free() (Catch2 uses
// nothrow new, and sanitizers check the pairing).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++t_allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  ++t_allocations;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using hub::jsonpath::Query;

namespace {

rapidjson::Document parse_json(const char* text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

Query compile(const char* text) {
  auto q = Query::parse(text);
  INFO("query: " << text << (q.ok() ? "" : " error: " + q.error().message));
  REQUIRE(q.ok());
  return std::move(q).value();
}

std::vector<std::string> strings(const Query& q, const rapidjson::Value& doc) {
  std::vector<const rapidjson::Value*> out;
  q.select(doc, out);
  std::vector<std::string> s;
  for (const auto* v : out) s.emplace_back(v->IsString() ? v->GetString() : "<non-string>");
  return s;
}

const char* kStudents = R"({
  "hoSo": [
    {"họTên": "Nguyễn Văn An", "gioiTinh": "Nam", "diem": 8.5, "lop": "10A1"},
    {"họTên": "Trần Thị Bình", "gioiTinh": "Nữ", "diem": 9.25, "lop": "10A1"},
    {"họTên": "Lê Văn Cường", "gioiTinh": "Nam", "diem": 7, "lop": "10A2"},
    {"họTên": "Phạm Minh Đức", "gioiTinh": "Nam", "diem": 9, "lop": "10A2"}
  ],
  "truong": {"ten": "THPT Chu Văn An", "ma": "01"}
})";

}  // namespace

TEST_CASE("invalid queries report the offset of the problem", "[jsonpath]") {
  struct Case {
    const char* query;
    size_t offset;
  };
  const Case cases[] = {
      {"a.b", 0},                             // no root
      {"$.a[", 4},                            // ends inside a bracket
      {"$.a ", 3},                            // trailing blank space is not allowed
      {" $.a", 0},                            // nor leading
      {"$[01]", 2},                           // leading zero
      {"$[-0]", 2},                           // negative zero index
      {"$[9007199254740992]", 2},             // beyond 2^53-1
      {"$. a", 2},                            // no blank after '.'
      {"$['a\\q']", 4},                       // unknown escape
      {"$['\\uDC00']", 3},                    // lone low surrogate
      {"$[?@.a == 1 &&]", 14},                // missing operand
      {"$[?length(@.a)]", 3},                 // ValueType used as a test
      {"$[?@.* == 1]", 3},                    // non-singular query compared
      {"$[?match(@.a, 'x') == true]", 3},     // LogicalType compared
      {"$[?count(1) > 0]", 9},                // count() needs a node list
      {"$[?foo(@.a)]", 3},                    // unknown function
      {"$[?length (@.a) == 1]", 3},           // blank before '(' makes it not a call
      {"$[?true]", 3},                        // literal alone
      {"$['họTên'", 9},                       // offsets count characters, not bytes
  };
  for (const auto& c : cases) {
    auto q = Query::parse(c.query);
    INFO("query: " << c.query);
    REQUIRE_FALSE(q.ok());
    INFO("message: " << q.error().message);
    CHECK(q.error().code == "jsonpath.syntax");
    CHECK(q.error().path == c.query);
    CHECK(q.error().offset == c.offset);
    CHECK_FALSE(q.error().message.empty());
  }
  auto q = Query::parse("$.a[");
  CHECK(q.error().message.find("expected") == 0);

  // Absurd nesting is refused instead of exhausting the stack.
  std::string deep = "$[?" + std::string(10000, '(') + "@" + std::string(10000, ')') + "]";
  auto d = Query::parse(deep);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == "jsonpath.syntax");
  std::string ok_depth = "$[?" + std::string(20, '(') + "@.a" + std::string(20, ')') + "]";
  CHECK(Query::parse(ok_depth).ok());
}

TEST_CASE("singular queries are recognised and take the fast path", "[jsonpath]") {
  auto doc = parse_json(R"({"hoSo": {"hoTen": "Nguyễn Văn An", "diem": [7, 8, 9]}, "a": [[1, 2]]})");
  for (const char* text : {"$", "$.hoSo.hoTen", "$['a'][0]", "$.hoSo.diem[-1]", "$[\"a\"] [0][1]"}) {
    INFO(text);
    CHECK(compile(text).is_singular());
  }
  for (const char* text : {"$[*]", "$..a", "$[0,1]", "$[0:1]", "$[?@]", "$.a.*"}) {
    INFO(text);
    CHECK_FALSE(compile(text).is_singular());
  }
  const auto* v = compile("$.hoSo.hoTen").select_one(doc);
  REQUIRE(v);
  CHECK(std::string(v->GetString()) == "Nguyễn Văn An");
  CHECK(compile("$.hoSo.diem[-1]").select_one(doc)->GetInt() == 9);
  CHECK(compile("$['a'][0][1]").select_one(doc)->GetInt() == 2);
  CHECK(compile("$.hoSo.diem[3]").select_one(doc) == nullptr);
  CHECK(compile("$.hoSo.diem[-4]").select_one(doc) == nullptr);
  CHECK(compile("$.hoSo.missing").select_one(doc) == nullptr);
  CHECK(compile("$.hoSo.hoTen.x").select_one(doc) == nullptr);  // string has no members
  CHECK(compile("$.hoSo[0]").select_one(doc) == nullptr);       // object has no indexes
  // select_one on a non-singular query stops at the first hit.
  CHECK(compile("$..diem[*]").select_one(doc)->GetInt() == 7);
}

TEST_CASE("selected nodes carry normalized paths", "[jsonpath]") {
  auto doc = parse_json(R"({"a": [10, {"it's": 1, "b\\c": 2, "x\ny": 3, "\u0001": 4}]})");
  auto nodes = compile("$.a[1].*").select_with_paths(doc);
  REQUIRE(nodes.size() == 4);
  CHECK(nodes[0].path == R"($['a'][1]['it\'s'])");
  CHECK(nodes[1].path == R"($['a'][1]['b\\c'])");
  CHECK(nodes[2].path == R"($['a'][1]['x\ny'])");
  CHECK(nodes[3].path == R"($['a'][1]['\u0001'])");
  auto last = compile("$.a[-2]").select_with_paths(doc);
  REQUIRE(last.size() == 1);
  CHECK(last[0].path == "$['a'][0]");  // normalized: non-negative index
  CHECK(last[0].value->GetInt() == 10);
  auto root = compile("$").select_with_paths(doc);
  REQUIRE(root.size() == 1);
  CHECK(root[0].path == "$");
}

TEST_CASE("Vietnamese member names work in shorthand and brackets", "[jsonpath]") {
  auto doc = parse_json(kStudents);
  std::vector<std::string> all = {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường",
                                  "Phạm Minh Đức"};
  CHECK(strings(compile("$.hoSo[*]['họTên']"), doc) == all);
  CHECK(strings(compile("$.hoSo[*].họTên"), doc) == all);
  CHECK(strings(compile("$.hoSo[*][\"h\\u1ecdT\\u00EAn\"]"), doc) == all);  // escaped form
  auto nodes = compile("$.hoSo[0].họTên").select_with_paths(doc);
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0].path == "$['hoSo'][0]['họTên']");
}

TEST_CASE("filters combine comparisons with && and ||", "[jsonpath]") {
  auto doc = parse_json(kStudents);
  CHECK(strings(compile("$.hoSo[?@.gioiTinh == 'Nam' && @.diem >= 8.5].họTên"), doc) ==
        std::vector<std::string>{"Nguyễn Văn An", "Phạm Minh Đức"});
  CHECK(strings(compile("$.hoSo[?@.gioiTinh == 'Nữ' || @.diem < 8].họTên"), doc) ==
        std::vector<std::string>{"Trần Thị Bình", "Lê Văn Cường"});
  CHECK(strings(compile("$.hoSo[?!(@.lop == '10A1')].họTên"), doc) ==
        std::vector<std::string>{"Lê Văn Cường", "Phạm Minh Đức"});
  // Numbers compare by value, integers exactly.
  CHECK(strings(compile("$.hoSo[?@.diem == 9.0].họTên"), doc) ==
        std::vector<std::string>{"Phạm Minh Đức"});
  auto big = parse_json(R"([9007199254740993, 9007199254740992])");
  std::vector<const rapidjson::Value*> out;
  compile("$[?@ == 9007199254740993]").select(big, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == &big[0]);
  // $ inside a filter refers to the whole document.
  CHECK(strings(compile("$.hoSo[?@.lop == $.hoSo[-1].lop].họTên"), doc) ==
        std::vector<std::string>{"Lê Văn Cường", "Phạm Minh Đức"});
  CHECK(strings(compile("$.hoSo[?count(@.*) == 4 && length(@.lop) == 4][0].lop"), doc).empty());
  CHECK(strings(compile("$.hoSo[?count(@.*) == 4 && length(@.lop) == 4].lop"), doc).size() == 4);
}

TEST_CASE("match() and search() handle Vietnamese text", "[jsonpath]") {
  auto doc = parse_json(kStudents);
  CHECK(strings(compile("$.hoSo[?match(@.họTên, 'Nguyễn.*')].lop"), doc) ==
        std::vector<std::string>{"10A1"});
  // '.' is one code point, so it spans a precomposed Vietnamese letter.
  CHECK(strings(compile("$.hoSo[?match(@.họTên, 'Tr.n Th. B.nh')].họTên"), doc) ==
        std::vector<std::string>{"Trần Thị Bình"});
  CHECK(strings(compile("$.hoSo[?search(@.họTên, 'Văn')].họTên"), doc) ==
        std::vector<std::string>{"Nguyễn Văn An", "Lê Văn Cường"});
  CHECK(strings(compile("$.hoSo[?match(@.họTên, 'Văn')].họTên"), doc).empty());  // anchored
  CHECK(strings(compile("$.hoSo[?search(@.họTên, '^\\\\p{Lu}\\\\p{Ll}+ Minh')].họTên"), doc) ==
        std::vector<std::string>{"Phạm Minh Đức"});
  CHECK(strings(compile("$.hoSo[?match(@.gioiTinh, 'N[ữa]+m?')].gioiTinh"), doc) ==
        std::vector<std::string>{"Nam", "Nữ", "Nam", "Nam"});
}

TEST_CASE("regex patterns may come from the document and may be invalid", "[jsonpath]") {
  auto doc = parse_json(R"({"re": "B.nh", "bad": "(", "xs": ["Bình", "Binh", "Bình An"]})");
  CHECK(strings(compile("$.xs[?match(@, $.re)]"), doc) ==
        std::vector<std::string>{"Bình", "Binh"});
  // An invalid I-Regexp is not a syntax error; the function is simply false.
  CHECK(strings(compile("$.xs[?match(@, $.bad)]"), doc).empty());
  CHECK(strings(compile("$.xs[?match(@, '[')]"), doc).empty());
  CHECK(strings(compile("$.xs[?!search(@, 'a\\\\d')]"), doc).size() == 3);  // \d is not I-Regexp
}

TEST_CASE("I-Regexp translation rejects what RFC 9485 does not allow", "[jsonpath][iregexp]") {
  std::string out;
  for (const char* ok : {"a|b", "(ab)*c{2,3}", "[^a-z\\-]", "\\p{Lu}\\P{Nd}", "x{2,}", "[-a]",
                         "[a-]", ""}) {
    out.clear();
    INFO(ok);
    CHECK(hub::jsonpath::translate_iregexp(ok, out));
  }
  for (const char* bad : {"(?:a)", "a**", "\\d", "[]", "a{,2}", "\\p{Xx}", "(a", "a)", "[a",
                          "\\b", "a{2"}) {
    out.clear();
    INFO(bad);
    CHECK_FALSE(hub::jsonpath::translate_iregexp(bad, out));
  }
  auto dot = hub::jsonpath::Regex::compile("a.c", true);
  REQUIRE(dot);
  CHECK(dot->matches("a\xe1\xbb\x8d" "c"));  // a ọ c
  CHECK_FALSE(dot->matches("a\nc"));
  CHECK_FALSE(dot->matches("a\rc"));
  CHECK_FALSE(dot->matches("a\xff" "c"));  // malformed subject never matches
}

TEST_CASE("queries are cheap to copy and safe to share between threads", "[jsonpath]") {
  auto doc = parse_json(kStudents);
  Query q = compile("$.hoSo[?match(@.gioiTinh, 'N.m') && @.diem > 8].họTên");
  Query copy = q;
  CHECK(copy.text() == q.text());
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Query mine = t % 2 ? q : copy;
      std::vector<const rapidjson::Value*> out;
      for (int i = 0; i < 2000; ++i) {
        out.clear();
        mine.select(doc, out);
        if (out.size() != 2) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad == 0);
}

TEST_CASE("hot paths do not allocate", "[jsonpath]") {
  auto doc = parse_json(kStudents);
  Query singular = compile("$.truong.ten");
  Query indexed = compile("$['hoSo'][-1]['họTên']");
  Query filter = compile("$.hoSo[?@.gioiTinh == 'Nam' && match(@.lop, '10A.')].họTên");
  std::vector<const rapidjson::Value*> out;
  out.reserve(16);
  filter.select(doc, out);  // warms the per-thread PCRE2 match data
  out.clear();

  std::size_t before = t_allocations;
  const rapidjson::Value* a = singular.select_one(doc);
  const rapidjson::Value* b = indexed.select_one(doc);
  singular.select(doc, out);
  const rapidjson::Value* c = filter.select_one(doc);
  filter.select(doc, out);
  std::size_t used = t_allocations - before;

  CHECK(used == 0);
  // Control: the counter does see allocations (compiling a query allocates).
  before = t_allocations;
  CHECK(Query::parse("$.a").ok());
  CHECK(t_allocations > before);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(std::string(a->GetString()) == "THPT Chu Văn An");
  CHECK(std::string(b->GetString()) == "Phạm Minh Đức");
  CHECK(std::string(c->GetString()) == "Nguyễn Văn An");
  CHECK(out.size() == 4);
}

TEST_CASE("a member index finds what name selectors find, in one pass", "[jsonpath]") {
  // Repeated names keep their first member, as $.a does; names not there stay null.
  auto doc = parse_json(R"({"a": 1, "hoTen": "x", "b": {"c": 2}, "a": 3, "": 4})");
  hub::jsonpath::MemberIndex index;
  std::size_t a = index.add("a"), b = index.add("b"), missing = index.add("zz"), empty = index.add("");
  CHECK(index.add("a") == a);
  std::vector<const rapidjson::Value*> slots(index.size());
  index.find(doc, slots.data());
  CHECK(slots[a] == compile("$.a").select_one(doc));
  CHECK(slots[a]->GetInt() == 1);
  CHECK(slots[missing] == nullptr);
  CHECK(slots[empty]->GetInt() == 4);
  Query bc = compile("$.b.c");
  REQUIRE(bc.first_name());
  CHECK(*bc.first_name() == "b");
  CHECK(!bc.is_singular_name());
  CHECK(compile("$.b").is_singular_name());
  CHECK(compile("$[0]").first_name() == nullptr);
  CHECK(bc.select_one_after_first(*slots[b]) == bc.select_one(doc));
  // Many names: the table grows and still finds each of them.
  hub::jsonpath::MemberIndex many;
  for (int i = 0; i < 100; ++i) many.add("k" + std::to_string(i));
  std::size_t b_slot = many.add("b");
  slots.assign(many.size(), nullptr);
  many.find(doc, slots.data());
  CHECK(slots[b_slot] == &doc["b"]);
}
