#pragma once
// Compiled form of a JSONPath query, shared between the parser (jsonpath_parser.cpp) and the
// evaluator (jsonpath_eval.cpp). Internal to hub/mapping; users go through jsonpath.h.
//
// Thread-safety: built once by the parser, then only read; safe to share across threads.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "hub/mapping/iregexp.h"
#include "hub/mapping/jsonpath.h"

namespace hub::jsonpath {

struct Expr;

enum class SelectorKind : uint8_t { kName, kWildcard, kIndex, kSlice, kFilter };

struct Selector {
  SelectorKind kind = SelectorKind::kName;
  bool has_start = false;
  bool has_end = false;
  std::string name;       // kName (unescaped)
  int64_t index = 0;      // kIndex; slice start
  int64_t end = 0;        // slice
  int64_t step = 1;       // slice
  std::unique_ptr<Expr> filter;  // kFilter: a logical expression
};

struct Segment {
  bool descendant = false;
  std::vector<Selector> selectors;
};

// A query inside or outside a filter: `$...` or `@...`.
struct Path {
  bool relative = false;  // starts at @ rather than $
  bool singular = false;  // only single name/index child segments
  std::vector<Segment> segments;
};

enum class FnType : uint8_t { kValue, kLogical, kNodes };
enum class Fn : uint8_t { kLength, kCount, kMatch, kSearch, kValue };
enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

struct Expr {
  enum class Kind : uint8_t {
    kOr, kAnd, kNot,  // kids
    kCompare,         // kids[0] op kids[1]; both "comparable"
    kLiteral,         // literal
    kQuery,           // path; as a test: non-empty; as a value: the singular node
    kFunction,        // fn(kids...)
  };
  Kind kind;
  CmpOp op = CmpOp::kEq;
  Fn fn = Fn::kLength;
  FnType result_type = FnType::kValue;  // kFunction only
  size_t offset = 0;                    // byte offset in the query text, for type errors
  std::vector<std::unique_ptr<Expr>> kids;
  Path path;
  rapidjson::Value literal;  // strings point into CompiledQuery::pool
  // match()/search() with a string-literal pattern: compiled at parse time. `regex_fixed`
  // with a null `regex` means the literal is not a valid I-Regexp (the call is always false).
  bool regex_fixed = false;
  std::shared_ptr<const Regex> regex;

  explicit Expr(Kind k) : kind(k) {}
};

// One step of a singular query, for the fast path.
struct SingularStep {
  bool is_index = false;
  int64_t index = 0;
  std::string name;
};

struct CompiledQuery {
  std::string text;
  // Owns literal strings; declared before `path` so it outlives the values that point into it.
  std::unique_ptr<rapidjson::MemoryPoolAllocator<>> pool;
  Path path;
  std::vector<SingularStep> steps;  // filled when path.singular
};

}  // namespace hub::jsonpath
