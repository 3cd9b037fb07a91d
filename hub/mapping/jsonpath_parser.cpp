// Recursive-descent parser for the RFC 9535 grammar, including the function type checks of
// section 2.4.3 (ill-typed queries are rejected here, never at evaluation time).

#include <charconv>
#include <cstring>
#include <limits>

#include "hub/mapping/jsonpath_ast.h"

namespace hub::jsonpath {
namespace {

constexpr int64_t kMaxSafeInt = (int64_t{1} << 53) - 1;  // RFC 9535 I-JSON integer range
constexpr int kMaxNesting = 64;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
// The query is validated as UTF-8 up front, so any byte >= 0x80 belongs to a non-ASCII code
// point, which the grammar allows in member-name-shorthand.
bool is_name_first(char c) {
  return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) { return is_name_first(c) || is_digit(c); }

// Byte offset of the first malformed UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4;
      cp = b & 0x07;
    } else {
      return i;
    }
    if (i + n > s.size()) return i;
    for (size_t k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct FnSignature {
  std::string_view name;
  Fn fn;
  FnType result;
  std::vector<FnType> params;
};

const std::vector<FnSignature>& functions() {
  static const std::vector<FnSignature> kFunctions = {
      {"length", Fn::kLength, FnType::kValue, {FnType::kValue}},
      {"count", Fn::kCount, FnType::kValue, {FnType::kNodes}},
      {"match", Fn::kMatch, FnType::kLogical, {FnType::kValue, FnType::kValue}},
      {"search", Fn::kSearch, FnType::kLogical, {FnType::kValue, FnType::kValue}},
      {"value", Fn::kValue, FnType::kValue, {FnType::kNodes}},
  };
  return kFunctions;
}

using ExprPtr = std::unique_ptr<Expr>;

class Parser {
 public:
  Parser(std::string_view src, rapidjson::MemoryPoolAllocator<>& pool) : src_(src), pool_(pool) {}

  bool parse(Path& out) {
    size_t bad = find_invalid_utf8(src_);
    if (bad != std::string_view::npos) {
      pos_ = bad;
      return fail("valid UTF-8");
    }
    if (peek() != '$') return fail("'$' at the start of the query");
    ++pos_;
    out.relative = false;
    if (!parse_segments(out)) return false;
    if (pos_ != src_.size()) return fail("'.', '..', '[' or the end of the query");
    return true;
  }

  size_t error_offset() const { return err_pos_; }
  const std::string& error_message() const { return err_msg_; }

 private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool at_end() const { return pos_ >= src_.size(); }
  void skip_blank() {
    while (!at_end() && is_blank(src_[pos_])) ++pos_;
  }
  bool fail(std::string_view expected) { return fail_at(pos_, expected); }
  bool fail_at(size_t pos, std::string_view expected) {
    if (err_msg_.empty()) {
      err_pos_ = pos;
      err_msg_ = "expected ";
      err_msg_ += expected;
      if (pos < src_.size()) {
        err_msg_ += " at '";
        size_t n = 1;
        while (pos + n < src_.size() && (static_cast<unsigned char>(src_[pos + n]) & 0xC0) == 0x80)
          ++n;
        err_msg_.append(src_.substr(pos, n));
        err_msg_ += "'";
      } else {
        err_msg_ += " at the end of the query";
      }
    }
    return false;
  }
  // For type errors, where "expected" reads badly.
  bool fail_msg(size_t pos, std::string msg) {
    if (err_msg_.empty()) {
      err_pos_ = pos;
      err_msg_ = std::move(msg);
    }
    return false;
  }

  // segments = *(S segment); blank space is only consumed if a segment follows it.
  bool parse_segments(Path& path) {
    for (;;) {
      size_t save = pos_;
      skip_blank();
      char c = peek();
      if (c != '.' && c != '[') {
        pos_ = save;
        break;
      }
      Segment seg;
      if (!parse_segment(seg)) return false;
      path.segments.push_back(std::move(seg));
    }
    path.singular = true;
    for (const auto& seg : path.segments) {
      if (seg.descendant || seg.selectors.size() != 1 ||
          (seg.selectors[0].kind != SelectorKind::kName &&
           seg.selectors[0].kind != SelectorKind::kIndex)) {
        path.singular = false;
      }
    }
    return true;
  }

  bool parse_segment(Segment& seg) {
    if (peek() == '.' && peek(1) == '.') {
      pos_ += 2;
      seg.descendant = true;
      if (peek() == '[') return parse_bracketed(seg);
      if (peek() == '*') {
        ++pos_;
        seg.selectors.emplace_back().kind = SelectorKind::kWildcard;
        return true;
      }
      if (is_name_first(peek())) return parse_shorthand(seg);
      return fail("a member name, '*' or '[' after '..'");
    }
    if (peek() == '.') {
      ++pos_;
      if (peek() == '*') {
        ++pos_;
        seg.selectors.emplace_back().kind = SelectorKind::kWildcard;
        return true;
      }
      if (is_name_first(peek())) return parse_shorthand(seg);
      return fail("a member name or '*' after '.'");
    }
    return parse_bracketed(seg);
  }

  bool parse_shorthand(Segment& seg) {
    size_t start = pos_;
    while (!at_end() && is_name_char(src_[pos_])) ++pos_;
    Selector& sel = seg.selectors.emplace_back();
    sel.kind = SelectorKind::kName;
    sel.name.assign(src_.substr(start, pos_ - start));
    return true;
  }

  bool parse_bracketed(Segment& seg) {
    ++pos_;  // [
    for (;;) {
      skip_blank();
      Selector& sel = seg.selectors.emplace_back();
      if (!parse_selector(sel)) return false;
      skip_blank();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("',' or ']'");
    }
  }

  bool parse_selector(Selector& sel) {
    char c = peek();
    if (c == '\'' || c == '"') {
      sel.kind = SelectorKind::kName;
      return parse_string(sel.name);
    }
    if (c == '*') {
      ++pos_;
      sel.kind = SelectorKind::kWildcard;
      return true;
    }
    if (c == '?') {
      ++pos_;
      skip_blank();
      sel.kind = SelectorKind::kFilter;
      sel.filter = parse_logical();
      return sel.filter != nullptr;
    }
    if (c == '-' || is_digit(c) || c == ':') return parse_index_or_slice(sel);
    return fail("a selector (name, '*', index, slice or '?' filter)");
  }

  // int = "0" / (["-"] DIGIT1 *DIGIT), within +-(2^53-1).
  bool parse_int(int64_t& out) {
    size_t start = pos_;
    bool neg = false;
    if (peek() == '-') {
      neg = true;
      ++pos_;
    }
    if (!is_digit(peek())) return fail("a digit");
    if (peek() == '0') {
      if (neg) return fail_at(start, "an integer without '-0'");
      ++pos_;
      if (is_digit(peek())) return fail_at(start, "an integer without leading zeros");
      out = 0;
      return true;
    }
    int64_t v = 0;
    while (is_digit(peek())) {
      v = v * 10 + (peek() - '0');
      ++pos_;
      if (v > kMaxSafeInt) return fail_at(start, "an integer within +-(2^53-1)");
    }
    out = neg ? -v : v;
    return true;
  }

  bool parse_index_or_slice(Selector& sel) {
    int64_t first = 0;
    bool has_first = false;
    if (peek() != ':') {
      if (!parse_int(first)) return false;
      has_first = true;
      size_t save = pos_;
      skip_blank();
      if (peek() != ':') {
        pos_ = save;
        sel.kind = SelectorKind::kIndex;
        sel.index = first;
        return true;
      }
    }
    sel.kind = SelectorKind::kSlice;
    sel.has_start = has_first;
    sel.index = first;
    ++pos_;  // :
    skip_blank();
    if (peek() == '-' || is_digit(peek())) {
      if (!parse_int(sel.end)) return false;
      sel.has_end = true;
      skip_blank();
    }
    if (peek() == ':') {
      ++pos_;
      skip_blank();
      if (peek() == '-' || is_digit(peek())) {
        if (!parse_int(sel.step)) return false;
      }
    }
    return true;
  }

  bool parse_hex4(uint32_t& out) {
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      uint32_t d;
      if (is_digit(c)) {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail("a hexadecimal digit");
      }
      out = out * 16 + d;
      ++pos_;
    }
    return true;
  }

  bool parse_string(std::string& out) {
    char quote = src_[pos_++];
    for (;;) {
      if (at_end()) return fail(quote == '\'' ? "a closing \"'\"" : "a closing '\"'");
      char c = src_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("a printable character (control characters must be escaped)");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      size_t esc_start = pos_;
      ++pos_;
      char e = peek();
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '/': out += '/'; break;
        case '\\': out += '\\'; break;
        case '\'':
        case '"':
          if (e != quote) return fail_at(esc_start, "a valid escape sequence");
          out += e;
          break;
        case 'u': {
          ++pos_;
          uint32_t cp;
          if (!parse_hex4(cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail_at(esc_start, "a high surrogate before a low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (peek() != '\\' || peek(1) != 'u')
              return fail("'\\u' and a low surrogate after a high surrogate");
            pos_ += 2;
            size_t low_start = pos_;
            uint32_t low;
            if (!parse_hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail_at(low_start, "a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          continue;  // pos_ already past the escape
        }
        default:
          return fail_at(esc_start, "a valid escape sequence");
      }
      ++pos_;
    }
  }

  // ---- filter expressions ----

  // Whether `e` may stand alone as a logical operand (test-expr, comparison, ...).
  bool check_logical(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return fail_msg(e.offset, "expected a comparison or test, but a literal stands alone");
      case Expr::Kind::kFunction:
        if (e.result_type == FnType::kValue)
          return fail_msg(e.offset, "function result is a value; compare it instead of testing it");
        return true;
      default:
        return true;
    }
  }

  // Whether `e` may be an operand of a comparison.
  bool check_comparable(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return true;
      case Expr::Kind::kQuery:
        if (!e.path.singular)
          return fail_msg(e.offset, "only singular queries (names and indexes) can be compared");
        return true;
      case Expr::Kind::kFunction:
        if (e.result_type != FnType::kValue)
          return fail_msg(e.offset, "function result is not a value and cannot be compared");
        return true;
      default:
        return fail_msg(e.offset, "expected a comparable (literal, singular query, function)");
    }
  }

  // logical-expr that must be usable as a test (filter body, parenthesis, after '!').
  ExprPtr parse_logical() {
    ExprPtr e = parse_or();
    if (e && !check_logical(*e)) return nullptr;
    return e;
  }

  ExprPtr parse_or() {
    // Every nested expression (parentheses, function arguments, filters inside filters)
    // passes through here; bounding the depth keeps hostile queries from exhausting the stack.
    if (depth_ >= kMaxNesting) {
      fail_msg(pos_, "expression nested more than " + std::to_string(kMaxNesting) + " levels deep");
      return nullptr;
    }
    ++depth_;
    ExprPtr e = parse_or_inner();
    --depth_;
    return e;
  }

  ExprPtr parse_or_inner() {
    ExprPtr first = parse_and();
    if (!first) return nullptr;
    ExprPtr node;
    for (;;) {
      size_t save = pos_;
      skip_blank();
      if (peek() != '|' || peek(1) != '|') {
        pos_ = save;
        break;
      }
      pos_ += 2;
      skip_blank();
      ExprPtr rhs = parse_and();
      if (!rhs || !check_logical(*rhs)) return nullptr;
      if (!node) {
        if (!check_logical(*first)) return nullptr;
        node = std::make_unique<Expr>(Expr::Kind::kOr);
        node->offset = first->offset;
        node->kids.push_back(std::move(first));
      }
      node->kids.push_back(std::move(rhs));
    }
    return node ? std::move(node) : std::move(first);
  }

  ExprPtr parse_and() {
    ExprPtr first = parse_basic();
    if (!first) return nullptr;
    ExprPtr node;
    for (;;) {
      size_t save = pos_;
      skip_blank();
      if (peek() != '&' || peek(1) != '&') {
        pos_ = save;
        break;
      }
      pos_ += 2;
      skip_blank();
      ExprPtr rhs = parse_basic();
      if (!rhs || !check_logical(*rhs)) return nullptr;
      if (!node) {
        if (!check_logical(*first)) return nullptr;
        node = std::make_unique<Expr>(Expr::Kind::kAnd);
        node->offset = first->offset;
        node->kids.push_back(std::move(first));
      }
      node->kids.push_back(std::move(rhs));
    }
    return node ? std::move(node) : std::move(first);
  }

  ExprPtr parse_paren() {
    ++pos_;  // (
    skip_blank();
    ExprPtr inner = parse_logical();
    if (!inner) return nullptr;
    skip_blank();
    if (peek() != ')') {
      fail("')' or a logical operator");
      return nullptr;
    }
    ++pos_;
    return inner;
  }

  // basic-expr; may return a bare literal/query/function, which the caller checks.
  ExprPtr parse_basic() {
    size_t start = pos_;
    if (peek() == '!') {
      ++pos_;
      skip_blank();
      ExprPtr inner;
      if (peek() == '(') {
        inner = parse_paren();
      } else {
        inner = parse_primary();
        if (inner && inner->kind == Expr::Kind::kLiteral) {
          fail_msg(inner->offset, "expected a query, function or '(' after '!'");
          return nullptr;
        }
        if (inner && !check_logical(*inner)) return nullptr;
      }
      if (!inner) return nullptr;
      auto node = std::make_unique<Expr>(Expr::Kind::kNot);
      node->offset = start;
      node->kids.push_back(std::move(inner));
      return node;
    }
    if (peek() == '(') return parse_paren();
    ExprPtr lhs = parse_primary();
    if (!lhs) return nullptr;
    size_t save = pos_;
    skip_blank();
    CmpOp op;
    char c = peek();
    char c1 = peek(1);
    size_t len = 2;
    if (c == '=' && c1 == '=') {
      op = CmpOp::kEq;
    } else if (c == '!' && c1 == '=') {
      op = CmpOp::kNe;
    } else if (c == '<' && c1 == '=') {
      op = CmpOp::kLe;
    } else if (c == '>' && c1 == '=') {
      op = CmpOp::kGe;
    } else if (c == '<') {
      op = CmpOp::kLt;
      len = 1;
    } else if (c == '>') {
      op = CmpOp::kGt;
      len = 1;
    } else {
      pos_ = save;
      return lhs;
    }
    if (!check_comparable(*lhs)) return nullptr;
    pos_ += len;
    skip_blank();
    ExprPtr rhs = parse_primary();
    if (!rhs || !check_comparable(*rhs)) return nullptr;
    auto node = std::make_unique<Expr>(Expr::Kind::kCompare);
    node->op = op;
    node->offset = start;
    node->kids.push_back(std::move(lhs));
    node->kids.push_back(std::move(rhs));
    return node;
  }

  // literal / filter-query / function-expr
  ExprPtr parse_primary() {
    size_t start = pos_;
    char c = peek();
    if (c == '@' || c == '$') {
      auto e = std::make_unique<Expr>(Expr::Kind::kQuery);
      e->offset = start;
      e->path.relative = c == '@';
      ++pos_;
      if (!parse_segments(e->path)) return nullptr;
      return e;
    }
    if (c == '\'' || c == '"') {
      std::string s;
      if (!parse_string(s)) return nullptr;
      auto e = std::make_unique<Expr>(Expr::Kind::kLiteral);
      e->offset = start;
      e->literal.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), pool_);
      return e;
    }
    if (c == '-' || is_digit(c)) return parse_number();
    if (is_lower(c)) {
      while (!at_end() && (is_lower(src_[pos_]) || is_digit(src_[pos_]) || src_[pos_] == '_'))
        ++pos_;
      std::string_view word = src_.substr(start, pos_ - start);
      if (peek() == '(') return parse_function(word, start);
      auto e = std::make_unique<Expr>(Expr::Kind::kLiteral);
      e->offset = start;
      if (word == "true") {
        e->literal.SetBool(true);
      } else if (word == "false") {
        e->literal.SetBool(false);
      } else if (word == "null") {
        e->literal.SetNull();
      } else {
        fail_at(start, "a literal (true, false, null) or a function call");
        return nullptr;
      }
      return e;
    }
    fail("a query, literal, function call, '!' or '('");
    return nullptr;
  }

  // number = (int / "-0") [ frac ] [ exp ]
  ExprPtr parse_number() {
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!is_digit(peek())) {
      fail("a digit");
      return nullptr;
    }
    if (peek() == '0') {
      ++pos_;
      if (is_digit(peek())) {
        fail_at(start, "a number without leading zeros");
        return nullptr;
      }
    } else {
      while (is_digit(peek())) ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!is_digit(peek())) {
        fail("a digit after '.'");
        return nullptr;
      }
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) {
        fail("a digit in the exponent");
        return nullptr;
      }
      while (is_digit(peek())) ++pos_;
    }
    std::string_view text = src_.substr(start, pos_ - start);
    auto e = std::make_unique<Expr>(Expr::Kind::kLiteral);
    e->offset = start;
    if (integral && text != "-0") {
      int64_t v = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
        e->literal.SetInt64(v);
        return e;
      }
    }
    double d = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    if (r.ec == std::errc::result_out_of_range) {
      // Keep the mathematical ordering: a huge literal is beyond every JSON number, a tiny
      // one is indistinguishable from zero.
      size_t epos = text.find_first_of("eE");
      bool tiny = epos != std::string_view::npos && epos + 1 < text.size() && text[epos + 1] == '-';
      d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
      if (text[0] == '-') d = -d;
    } else if (r.ec != std::errc()) {
      fail_at(start, "a number");
      return nullptr;
    }
    e->literal.SetDouble(d);
    return e;
  }

  ExprPtr parse_function(std::string_view name, size_t start) {
    const FnSignature* sig = nullptr;
    for (const auto& f : functions()) {
      if (f.name == name) sig = &f;
    }
    if (!sig) {
      fail_msg(start, "unknown function '" + std::string(name) +
                          "' (expected length, count, match, search or value)");
      return nullptr;
    }
    auto e = std::make_unique<Expr>(Expr::Kind::kFunction);
    e->offset = start;
    e->fn = sig->fn;
    e->result_type = sig->result;
    ++pos_;  // (
    skip_blank();
    if (peek() != ')') {
      for (;;) {
        size_t arg_start = pos_;
        ExprPtr arg = parse_or();
        if (!arg) return nullptr;
        size_t i = e->kids.size();
        if (i >= sig->params.size()) {
          fail_msg(arg_start, std::string(name) + "() takes " +
                                  std::to_string(sig->params.size()) + " argument(s)");
          return nullptr;
        }
        if (!check_argument(*arg, sig->params[i], name)) return nullptr;
        e->kids.push_back(std::move(arg));
        skip_blank();
        if (peek() == ',') {
          ++pos_;
          skip_blank();
          continue;
        }
        break;
      }
    }
    if (peek() != ')') {
      fail("',' or ')'");
      return nullptr;
    }
    if (e->kids.size() != sig->params.size()) {
      fail_msg(pos_, std::string(name) + "() takes " + std::to_string(sig->params.size()) +
                         " argument(s)");
      return nullptr;
    }
    ++pos_;
    if ((e->fn == Fn::kMatch || e->fn == Fn::kSearch) &&
        e->kids[1]->kind == Expr::Kind::kLiteral && e->kids[1]->literal.IsString()) {
      const auto& lit = e->kids[1]->literal;
      e->regex_fixed = true;
      e->regex = Regex::compile(std::string_view(lit.GetString(), lit.GetStringLength()),
                                e->fn == Fn::kMatch);
    }
    return e;
  }

  // RFC 9535 section 2.4.3 well-typedness of one argument.
  bool check_argument(const Expr& arg, FnType param, std::string_view fn) {
    std::string where = "argument of " + std::string(fn) + "() ";
    switch (param) {
      case FnType::kValue:
        if (arg.kind == Expr::Kind::kLiteral) return true;
        if (arg.kind == Expr::Kind::kQuery) {
          if (arg.path.singular) return true;
          return fail_msg(arg.offset, where + "must be a value; this query is not singular");
        }
        if (arg.kind == Expr::Kind::kFunction && arg.result_type == FnType::kValue) return true;
        return fail_msg(arg.offset, where + "must be a value (literal, singular query, function)");
      case FnType::kLogical:
        if (arg.kind == Expr::Kind::kLiteral)
          return fail_msg(arg.offset, where + "must be a logical expression");
        if (arg.kind == Expr::Kind::kFunction && arg.result_type == FnType::kValue)
          return fail_msg(arg.offset, where + "must be a logical expression");
        return true;
      case FnType::kNodes:
        if (arg.kind == Expr::Kind::kQuery) return true;
        if (arg.kind == Expr::Kind::kFunction && arg.result_type == FnType::kNodes) return true;
        return fail_msg(arg.offset, where + "must be a query (a node list)");
    }
    return false;
  }

  std::string_view src_;
  rapidjson::MemoryPoolAllocator<>& pool_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t err_pos_ = 0;
  std::string err_msg_;
};

size_t char_offset(std::string_view s, size_t byte_offset) {
  size_t n = 0;
  for (size_t i = 0; i < byte_offset && i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

Result<Query> Query::parse(std::string_view text) {
  auto compiled = std::make_shared<CompiledQuery>();
  compiled->text.assign(text);
  compiled->pool = std::make_unique<rapidjson::MemoryPoolAllocator<>>();
  Parser parser(compiled->text, *compiled->pool);
  if (!parser.parse(compiled->path)) {
    Error err;
    err.code = "jsonpath.syntax";
    err.message = parser.error_message();
    err.path = compiled->text;
    err.offset = char_offset(compiled->text, parser.error_offset());
    return err;
  }
  if (compiled->path.singular) {
    for (const auto& seg : compiled->path.segments) {
      const Selector& sel = seg.selectors[0];
      SingularStep& step = compiled->steps.emplace_back();
      step.is_index = sel.kind == SelectorKind::kIndex;
      step.index = sel.index;
      step.name = sel.name;
    }
  }
  return Query(std::move(compiled));
}

}  // namespace hub::jsonpath
