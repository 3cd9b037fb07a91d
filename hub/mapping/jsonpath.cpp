// Evaluation of compiled JSONPath queries. Queries are walked depth-first with a sink callback:
// that gives RFC nodelist order (each segment's output feeds the next in order) without
// materialising intermediate nodelists, and lets existence tests, count() and select_one()
// stop early. Paths are only tracked when the caller asks for them (template parameter).
//
// The walk recurses (walk, apply_selectors, descend, json_equal), a few frames per level of the
// document: every document it sees was parsed by json::DocumentParser, whose depth limit
// (json.max_depth, at most 1000) bounds that recursion; filter expressions nest at most
// kMaxNesting deep (jsonpath_parser.cpp).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "hub/common/json.h"
#include "hub/mapping/jsonpath_ast.h"

namespace hub::jsonpath {
namespace {

using Value = rapidjson::Value;

struct PathComp {
  const char* name;  // null for an array index
  size_t len;
  int64_t index;
};

template <bool kPaths>
struct Ctx {
  const Value& root;
  std::vector<PathComp>* stack;  // only used when kPaths

  void push_name(const Value& n) {
    if constexpr (kPaths) stack->push_back({n.GetString(), n.GetStringLength(), 0});
  }
  void push_index(int64_t i) {
    if constexpr (kPaths) stack->push_back({nullptr, 0, i});
  }
  void pop() {
    if constexpr (kPaths) stack->pop_back();
  }
};

bool name_equals(const Value& name, const std::string& want) {
  return name.GetStringLength() == want.size() &&
         std::memcmp(name.GetString(), want.data(), want.size()) == 0;
}

// Array position for an RFC index (negative counts from the end); -1 when out of range.
int64_t normalize_index(int64_t i, int64_t len) {
  if (i < 0) i += len;
  return i >= 0 && i < len ? i : -1;
}

// ---- filter values ----

// A ValueType result: nothing, a JSON value (document or literal) or a computed integer
// (length()/count()), kept apart so functions need no allocation.
struct Operand {
  enum class Kind : uint8_t { kNothing, kJson, kInt } kind = Kind::kNothing;
  const Value* json = nullptr;
  int64_t i = 0;
};

Operand nothing() { return {}; }
Operand of_json(const Value* v) { return v ? Operand{Operand::Kind::kJson, v, 0} : Operand{}; }
Operand of_int(int64_t i) { return {Operand::Kind::kInt, nullptr, i}; }

// Three-way comparison of numbers by value; integers are compared exactly.
int cmp_int_double(int64_t i, double d) {
  if (d >= 9223372036854775808.0) return -1;
  if (d < -9223372036854775808.0) return 1;
  double t = std::trunc(d);
  auto ti = static_cast<int64_t>(t);
  if (i != ti) return i < ti ? -1 : 1;
  if (d > t) return -1;
  if (d < t) return 1;
  return 0;
}

struct Num {
  bool is_int;
  int64_t i;
  double d;
};

Num num_of(const Value& v) {
  if (v.IsInt64()) return {true, v.GetInt64(), 0};
  return {false, 0, v.GetDouble()};
}

int cmp_num(const Num& a, const Num& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (a.is_int) return cmp_int_double(a.i, b.d);
  if (b.is_int) return -cmp_int_double(b.i, a.d);
  return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
}

bool same_string(const Value& a, const Value& b) {
  return a.GetStringLength() == b.GetStringLength() &&
         std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
}

bool json_equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return cmp_num(num_of(a), num_of(b)) == 0;
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kNullType:
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return true;
    case rapidjson::kStringType:
      return same_string(a, b);
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!json_equal(a[i], b[i])) return false;
      }
      return true;
    }
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (auto ia = a.MemberBegin(); ia != a.MemberEnd(); ++ia) {
        bool found = false;
        for (auto ib = b.MemberBegin(); ib != b.MemberEnd(); ++ib) {
          if (same_string(ia->name, ib->name)) {
            if (!json_equal(ia->value, ib->value)) return false;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

bool operand_is_number(const Operand& o) {
  return o.kind == Operand::Kind::kInt || (o.kind == Operand::Kind::kJson && o.json->IsNumber());
}
Num operand_num(const Operand& o) {
  return o.kind == Operand::Kind::kInt ? Num{true, o.i, 0} : num_of(*o.json);
}

bool operand_equal(const Operand& a, const Operand& b) {
  if (a.kind == Operand::Kind::kNothing || b.kind == Operand::Kind::kNothing)
    return a.kind == b.kind;
  if (a.kind == Operand::Kind::kInt || b.kind == Operand::Kind::kInt) {
    return operand_is_number(a) && operand_is_number(b) &&
           cmp_num(operand_num(a), operand_num(b)) == 0;
  }
  return json_equal(*a.json, *b.json);
}

// RFC 9535 "<": only numbers with numbers and strings with strings; otherwise false.
bool operand_less(const Operand& a, const Operand& b) {
  if (operand_is_number(a) && operand_is_number(b))
    return cmp_num(operand_num(a), operand_num(b)) < 0;
  if (a.kind == Operand::Kind::kJson && b.kind == Operand::Kind::kJson && a.json->IsString() &&
      b.json->IsString()) {
    // Byte order of UTF-8 is code point order, which is what the RFC asks for.
    size_t la = a.json->GetStringLength();
    size_t lb = b.json->GetStringLength();
    int c = std::memcmp(a.json->GetString(), b.json->GetString(), la < lb ? la : lb);
    return c < 0 || (c == 0 && la < lb);
  }
  return false;
}

bool compare(CmpOp op, const Operand& a, const Operand& b) {
  switch (op) {
    case CmpOp::kEq: return operand_equal(a, b);
    case CmpOp::kNe: return !operand_equal(a, b);
    case CmpOp::kLt: return operand_less(a, b);
    case CmpOp::kLe: return operand_less(a, b) || operand_equal(a, b);
    case CmpOp::kGt: return operand_less(b, a);
    case CmpOp::kGe: return operand_less(b, a) || operand_equal(a, b);
  }
  return false;
}

// ---- query walking ----

bool eval_logical(const Expr& e, const Value& cur, const Value& root);

template <bool P, class Sink>
bool walk(const Segment* s, const Segment* end, const Value& v, Ctx<P>& c, Sink& sink);

template <bool P, class Sink>
bool apply_selectors(const Segment* s, const Segment* end, const Value& v, Ctx<P>& c,
                     Sink& sink) {
  for (const Selector& sel : s->selectors) {
    switch (sel.kind) {
      case SelectorKind::kName: {
        if (!v.IsObject()) break;
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
          if (!name_equals(it->name, sel.name)) continue;
          c.push_name(it->name);
          bool go_on = walk(s + 1, end, it->value, c, sink);
          c.pop();
          if (!go_on) return false;
          break;
        }
        break;
      }
      case SelectorKind::kWildcard: {
        if (v.IsArray()) {
          for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
            c.push_index(i);
            bool go_on = walk(s + 1, end, v[i], c, sink);
            c.pop();
            if (!go_on) return false;
          }
        } else if (v.IsObject()) {
          for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            c.push_name(it->name);
            bool go_on = walk(s + 1, end, it->value, c, sink);
            c.pop();
            if (!go_on) return false;
          }
        }
        break;
      }
      case SelectorKind::kIndex: {
        if (!v.IsArray()) break;
        int64_t i = normalize_index(sel.index, v.Size());
        if (i < 0) break;
        c.push_index(i);
        bool go_on = walk(s + 1, end, v[static_cast<rapidjson::SizeType>(i)], c, sink);
        c.pop();
        if (!go_on) return false;
        break;
      }
      case SelectorKind::kSlice: {
        if (!v.IsArray() || sel.step == 0) break;
        // RFC 9535 section 2.3.4.2.2, normative bounds algorithm.
        const int64_t len = v.Size();
        const int64_t step = sel.step;
        int64_t start = sel.has_start ? sel.index : (step > 0 ? 0 : len - 1);
        int64_t stop = sel.has_end ? sel.end : (step > 0 ? len : -len - 1);
        int64_t n_start = start >= 0 ? start : len + start;
        int64_t n_end = stop >= 0 ? stop : len + stop;
        auto clamp = [](int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : (x > hi ? hi : x); };
        if (step > 0) {
          int64_t lower = clamp(n_start, 0, len);
          int64_t upper = clamp(n_end, 0, len);
          for (int64_t i = lower; i < upper; i += step) {
            c.push_index(i);
            bool go_on = walk(s + 1, end, v[static_cast<rapidjson::SizeType>(i)], c, sink);
            c.pop();
            if (!go_on) return false;
          }
        } else {
          int64_t upper = clamp(n_start, -1, len - 1);
          int64_t lower = clamp(n_end, -1, len - 1);
          for (int64_t i = upper; lower < i; i += step) {
            c.push_index(i);
            bool go_on = walk(s + 1, end, v[static_cast<rapidjson::SizeType>(i)], c, sink);
            c.pop();
            if (!go_on) return false;
          }
        }
        break;
      }
      case SelectorKind::kFilter: {
        const Expr& f = *sel.filter;
        if (v.IsArray()) {
          for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
            if (!eval_logical(f, v[i], c.root)) continue;
            c.push_index(i);
            bool go_on = walk(s + 1, end, v[i], c, sink);
            c.pop();
            if (!go_on) return false;
          }
        } else if (v.IsObject()) {
          for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            if (!eval_logical(f, it->value, c.root)) continue;
            c.push_name(it->name);
            bool go_on = walk(s + 1, end, it->value, c, sink);
            c.pop();
            if (!go_on) return false;
          }
        }
        break;
      }
    }
  }
  return true;
}

// Descendant segment: the input node first, then its children in document order, recursively.
template <bool P, class Sink>
bool descend(const Segment* s, const Segment* end, const Value& v, Ctx<P>& c, Sink& sink) {
  if (!apply_selectors(s, end, v, c, sink)) return false;
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      c.push_index(i);
      bool go_on = descend(s, end, v[i], c, sink);
      c.pop();
      if (!go_on) return false;
    }
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      c.push_name(it->name);
      bool go_on = descend(s, end, it->value, c, sink);
      c.pop();
      if (!go_on) return false;
    }
  }
  return true;
}

// Returns false when the sink asked to stop.
template <bool P, class Sink>
bool walk(const Segment* s, const Segment* end, const Value& v, Ctx<P>& c, Sink& sink) {
  if (s == end) return sink(v);
  return s->descendant ? descend(s, end, v, c, sink) : apply_selectors(s, end, v, c, sink);
}

template <class Sink>
void walk_path(const Path& p, const Value& cur, const Value& root, Sink& sink) {
  Ctx<false> c{root, nullptr};
  const Segment* b = p.segments.data();
  walk(b, b + p.segments.size(), p.relative ? cur : root, c, sink);
}

// Singular query inside a filter: at most one node, found without a sink.
const Value* walk_singular(const Path& p, const Value& cur, const Value& root) {
  const Value* v = p.relative ? &cur : &root;
  for (const Segment& seg : p.segments) {
    const Selector& sel = seg.selectors[0];
    if (sel.kind == SelectorKind::kIndex) {
      if (!v->IsArray()) return nullptr;
      int64_t i = normalize_index(sel.index, v->Size());
      if (i < 0) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(i)];
    } else {
      if (!v->IsObject()) return nullptr;
      const Value* found = nullptr;
      for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
        if (name_equals(it->name, sel.name)) {
          found = &it->value;
          break;
        }
      }
      if (!found) return nullptr;
      v = found;
    }
  }
  return v;
}

bool path_exists(const Path& p, const Value& cur, const Value& root) {
  if (p.singular) return walk_singular(p, cur, root) != nullptr;
  bool found = false;
  auto sink = [&](const Value&) {
    found = true;
    return false;
  };
  walk_path(p, cur, root, sink);
  return found;
}

// ---- functions ----

// Patterns that only become known at run time (e.g. match(@.a, @.re)); compiled once per
// thread and pattern. Bounded so a document full of distinct patterns cannot grow it forever.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
const Regex* dynamic_regex(std::string_view pattern, bool full_match) {
  using Cache = std::unordered_map<std::string, std::shared_ptr<const Regex>, StringHash,
                                   std::equal_to<>>;
  constexpr size_t kMaxCached = 256;
  thread_local Cache caches[2];
  Cache& cache = caches[full_match ? 1 : 0];
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second.get();
  if (cache.size() >= kMaxCached) cache.clear();
  auto inserted = cache.emplace(std::string(pattern), Regex::compile(pattern, full_match));
  return inserted.first->second.get();
}

Operand eval_value(const Expr& e, const Value& cur, const Value& root);

bool eval_regex_function(const Expr& e, const Value& cur, const Value& root) {
  Operand subject = eval_value(*e.kids[0], cur, root);
  if (subject.kind != Operand::Kind::kJson || !subject.json->IsString()) return false;
  const Regex* re = nullptr;
  if (e.regex_fixed) {
    re = e.regex.get();
  } else {
    Operand pattern = eval_value(*e.kids[1], cur, root);
    if (pattern.kind != Operand::Kind::kJson || !pattern.json->IsString()) return false;
    re = dynamic_regex(
        std::string_view(pattern.json->GetString(), pattern.json->GetStringLength()),
        e.fn == Fn::kMatch);
  }
  if (!re) return false;  // not a valid I-Regexp: LogicalFalse per RFC 9535
  return re->matches(
      std::string_view(subject.json->GetString(), subject.json->GetStringLength()));
}

Operand eval_function_value(const Expr& e, const Value& cur, const Value& root) {
  switch (e.fn) {
    case Fn::kLength: {
      Operand a = eval_value(*e.kids[0], cur, root);
      if (a.kind != Operand::Kind::kJson) return nothing();
      const Value& v = *a.json;
      if (v.IsString()) {
        int64_t n = 0;
        const char* s = v.GetString();
        for (rapidjson::SizeType i = 0; i < v.GetStringLength(); ++i) {
          if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
        }
        return of_int(n);
      }
      if (v.IsArray()) return of_int(v.Size());
      if (v.IsObject()) return of_int(v.MemberCount());
      return nothing();
    }
    case Fn::kCount: {
      int64_t n = 0;
      auto sink = [&](const Value&) {
        ++n;
        return true;
      };
      walk_path(e.kids[0]->path, cur, root, sink);
      return of_int(n);
    }
    case Fn::kValue: {
      const Value* first = nullptr;
      int n = 0;
      auto sink = [&](const Value& v) {
        if (n++ == 0) first = &v;
        return n < 2;
      };
      walk_path(e.kids[0]->path, cur, root, sink);
      return n == 1 ? of_json(first) : nothing();
    }
    default:
      return nothing();
  }
}

Operand eval_value(const Expr& e, const Value& cur, const Value& root) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return of_json(&e.literal);
    case Expr::Kind::kQuery:
      return of_json(walk_singular(e.path, cur, root));
    case Expr::Kind::kFunction:
      return eval_function_value(e, cur, root);
    default:
      return nothing();
  }
}

bool eval_logical(const Expr& e, const Value& cur, const Value& root) {
  switch (e.kind) {
    case Expr::Kind::kOr:
      for (const auto& k : e.kids) {
        if (eval_logical(*k, cur, root)) return true;
      }
      return false;
    case Expr::Kind::kAnd:
      for (const auto& k : e.kids) {
        if (!eval_logical(*k, cur, root)) return false;
      }
      return true;
    case Expr::Kind::kNot:
      return !eval_logical(*e.kids[0], cur, root);
    case Expr::Kind::kCompare:
      return compare(e.op, eval_value(*e.kids[0], cur, root), eval_value(*e.kids[1], cur, root));
    case Expr::Kind::kQuery:
      return path_exists(e.path, cur, root);
    case Expr::Kind::kFunction:
      if (e.fn == Fn::kMatch || e.fn == Fn::kSearch) return eval_regex_function(e, cur, root);
      return false;  // the parser only lets LogicalType/NodesType functions be tested
    case Expr::Kind::kLiteral:
      return false;  // rejected by the parser
  }
  return false;
}

// The first member named `want`, or nullptr. Vendor records have a dozen members or more and
// the mapping reads most of them: the length and the first byte rule out nearly every other
// member before any memcmp call.
const Value* find_member(const Value& object, const std::string& want) {
  const auto len = static_cast<rapidjson::SizeType>(want.size());
  if (want.size() != len) return nullptr;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (it->name.GetStringLength() != len) continue;
    const char* name = it->name.GetString();
    if (len == 0 || (name[0] == want[0] && std::memcmp(name + 1, want.data() + 1, len - 1) == 0))
      return &it->value;
  }
  return nullptr;
}

const Value* walk_steps(const SingularStep* begin, const SingularStep* end, const Value& root) {
  const Value* v = &root;
  for (const SingularStep* s = begin; s != end; ++s) {
    const SingularStep& step = *s;
    if (step.is_index) {
      if (!v->IsArray()) return nullptr;
      int64_t i = normalize_index(step.index, v->Size());
      if (i < 0) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(i)];
    } else {
      if (!v->IsObject()) return nullptr;
      v = find_member(*v, step.name);
      if (!v) return nullptr;
    }
  }
  return v;
}

}  // namespace

Query::Query(std::shared_ptr<const CompiledQuery> compiled) : compiled_(std::move(compiled)) {}

bool Query::is_singular() const { return compiled_->path.singular; }

const std::string* Query::first_name() const {
  const CompiledQuery& q = *compiled_;
  if (!q.path.singular || q.steps.empty() || q.steps.front().is_index) return nullptr;
  return &q.steps.front().name;
}

bool Query::is_singular_name() const { return first_name() && compiled_->steps.size() == 1; }

std::optional<std::string> Query::singular_path() const {
  const CompiledQuery& q = *compiled_;
  if (!q.path.singular) return std::nullopt;
  std::string out = "$";
  for (const auto& step : q.steps) {
    if (!step.is_index) {
      json::append_normalized_name(out, step.name);
    } else {
      if (step.index < 0) return std::nullopt;  // counts from an end the query alone does not know
      out += "[" + std::to_string(step.index) + "]";
    }
  }
  return out;
}

const rapidjson::Value* Query::select_one_after_first(const rapidjson::Value& first) const {
  const CompiledQuery& q = *compiled_;
  return walk_steps(q.steps.data() + 1, q.steps.data() + q.steps.size(), first);
}

namespace {

// Spreads names by length and three of their bytes: member names of one vendor record differ
// in at least one of them nearly always, and equal hashes only cost a comparison.
std::size_t name_hash(const char* s, std::size_t len) {
  if (len == 0) return 0;
  auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
  std::size_t h = len;
  h = h * 31 + b(0);
  h = h * 31 + b(len / 2);
  h = h * 31 + b(len - 1);
  return h ^ (h >> 7);
}

}  // namespace

std::size_t MemberIndex::add(const std::string& name) {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  names_.push_back(name);
  // At most a quarter full, so a name that is not wanted usually meets an empty entry at once.
  std::size_t size = 16;
  while (size < 4 * names_.size()) size *= 2;
  table_.assign(size, 0);
  for (std::size_t slot = 0; slot < names_.size(); ++slot) {
    std::size_t i = name_hash(names_[slot].data(), names_[slot].size()) & (size - 1);
    while (table_[i] != 0) i = (i + 1) & (size - 1);
    table_[i] = static_cast<std::uint32_t>(slot + 1);
  }
  return names_.size() - 1;
}

void MemberIndex::find(const rapidjson::Value& object, const rapidjson::Value** slots) const {
  std::fill(slots, slots + names_.size(), nullptr);
  if (names_.empty() || !object.IsObject()) return;
  const std::size_t mask = table_.size() - 1;
  std::size_t left = names_.size();
  for (auto it = object.MemberBegin(); it != object.MemberEnd() && left > 0; ++it) {
    const char* name = it->name.GetString();
    std::size_t len = it->name.GetStringLength();
    for (std::size_t i = name_hash(name, len) & mask; table_[i] != 0; i = (i + 1) & mask) {
      std::size_t slot = table_[i] - 1;
      const std::string& want = names_[slot];
      if (want.size() != len || std::memcmp(want.data(), name, len) != 0) continue;
      if (!slots[slot]) {  // a repeated name keeps its first member
        slots[slot] = &it->value;
        --left;
      }
      break;
    }
  }
}

const std::string& Query::text() const { return compiled_->text; }

void Query::select(const rapidjson::Value& root,
                   std::vector<const rapidjson::Value*>& out) const {
  const CompiledQuery& q = *compiled_;
  if (q.path.singular) {
    if (const Value* v = walk_steps(q.steps.data(), q.steps.data() + q.steps.size(), root)) out.push_back(v);
    return;
  }
  auto sink = [&](const Value& v) {
    out.push_back(&v);
    return true;
  };
  walk_path(q.path, root, root, sink);
}

const rapidjson::Value* Query::select_one(const rapidjson::Value& root) const {
  const CompiledQuery& q = *compiled_;
  if (q.path.singular) return walk_steps(q.steps.data(), q.steps.data() + q.steps.size(), root);
  const Value* first = nullptr;
  auto sink = [&](const Value& v) {
    first = &v;
    return false;
  };
  walk_path(q.path, root, root, sink);
  return first;
}

std::vector<Node> Query::select_with_paths(const rapidjson::Value& root) const {
  std::vector<Node> out;
  std::vector<PathComp> stack;
  Ctx<true> c{root, &stack};
  auto sink = [&](const Value& v) {
    std::string path = "$";
    for (const PathComp& p : stack) {
      if (p.name) {
        json::append_normalized_name(path, std::string_view(p.name, p.len));
      } else {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, p.index).ptr;
        path += '[';
        path.append(digits, end);
        path += ']';
      }
    }
    out.push_back(Node{&v, std::move(path)});
    return true;
  };
  const auto& segs = compiled_->path.segments;
  walk(segs.data(), segs.data() + segs.size(), root, c, sink);
  return out;
}

}  // namespace hub::jsonpath
