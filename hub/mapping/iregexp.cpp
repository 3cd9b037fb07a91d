#include "hub/mapping/iregexp.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>

namespace hub::jsonpath {
namespace {

// Groups nested deeper than this make the pattern invalid (LogicalFalse in a filter): the
// translator recurses once per group, and patterns may come from the documents themselves
// (match(@.a, @.pattern)). PCRE2's own limit is 250.
constexpr int kMaxGroupNesting = 64;

// Recursive-descent checker/translator over code points, following the RFC 9485 ABNF.
class Translator {
 public:
  Translator(std::string_view in, std::string& out, bool named_groups = false)
      : in_(in), out_(out), named_groups_(named_groups) {}

  bool run() {
    if (!regexp()) return false;
    return pos_ == in_.size();
  }

 private:
  static constexpr int32_t kEnd = -1;
  static constexpr int32_t kBad = -2;

  // Decodes the code point at pos_ without consuming it; kBad for malformed UTF-8.
  int32_t peek(size_t* len = nullptr) const {
    if (pos_ >= in_.size()) return kEnd;
    auto b = static_cast<unsigned char>(in_[pos_]);
    size_t n;
    int32_t cp;
    if (b < 0x80) {
      n = 1;
      cp = b;
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
      return kBad;
    }
    if (pos_ + n > in_.size()) return kBad;
    for (size_t i = 1; i < n; ++i) {
      auto c = static_cast<unsigned char>(in_[pos_ + i]);
      if ((c & 0xC0) != 0x80) return kBad;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kBad;
    if (len) *len = n;
    return cp;
  }
  int32_t next() {
    size_t n = 1;
    int32_t cp = peek(&n);
    if (cp >= 0) pos_ += n;
    return cp;
  }

  // Literal code point; ASCII punctuation is escaped because PCRE2 gives much of it meaning
  // that I-Regexp does not (inside classes, for instance).
  void emit_literal(int32_t cp) {
    if (cp < 0x20 || cp == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out_ += "\\x{";
      out_ += kHex[(cp >> 4) & 0xF];
      out_ += kHex[cp & 0xF];
      out_ += '}';
    } else if (cp < 0x80) {
      auto c = static_cast<char>(cp);
      bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!alnum) out_ += '\\';
      out_ += c;
    } else {
      append_utf8(cp);
    }
  }
  void append_utf8(int32_t cp) {
    if (cp < 0x800) {
      out_ += static_cast<char>(0xC0 | (cp >> 6));
    } else if (cp < 0x10000) {
      out_ += static_cast<char>(0xE0 | (cp >> 12));
      out_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    } else {
      out_ += static_cast<char>(0xF0 | (cp >> 18));
      out_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    out_ += static_cast<char>(0x80 | (cp & 0x3F));
  }

  bool regexp() {
    if (!branch()) return false;
    while (peek() == '|') {
      next();
      out_ += '|';
      if (!branch()) return false;
    }
    return true;
  }

  bool branch() {
    for (;;) {
      int32_t c = peek();
      if (c == kEnd || c == '|' || c == ')') return true;
      if (!piece()) return false;
    }
  }

  bool piece() {
    if (!atom()) return false;
    int32_t c = peek();
    if (c == '*' || c == '+' || c == '?') {
      out_ += static_cast<char>(next());
      return true;
    }
    if (c == '{') return range_quantifier();
    return true;
  }

  bool digits() {
    size_t start = pos_;
    while (peek() >= '0' && peek() <= '9') out_ += static_cast<char>(next());
    return pos_ > start;
  }

  bool range_quantifier() {
    out_ += static_cast<char>(next());  // {
    if (!digits()) return false;
    if (peek() == ',') {
      out_ += static_cast<char>(next());
      digits();
    }
    if (peek() != '}') return false;
    out_ += static_cast<char>(next());
    return true;
  }

  static bool is_normal_char(int32_t c) {
    if (c < 0) return false;
    switch (c) {
      case '(': case ')': case '*': case '+': case '.': case '?': case '[': case '\\':
      case ']': case '{': case '|': case '}':
        return false;
      default:
        return true;
    }
  }

  bool atom() {
    int32_t c = peek();
    if (c == '(') {
      if (depth_ >= kMaxGroupNesting) return false;
      next();
      if (named_groups_ && peek() == '?') {
        if (!group_name()) return false;
      } else {
        out_ += "(?:";
      }
      ++depth_;
      bool ok = regexp();
      --depth_;
      if (!ok || next() != ')') return false;
      out_ += ')';
      return true;
    }
    if (c == '.') {
      next();
      out_ += "[^\\n\\r]";  // RFC 9485: '.' matches anything but line ends
      return true;
    }
    if (c == '[') return class_expr();
    if (c == '\\') {
      if (class_escape()) return true;
      int32_t e = single_char_escape();
      if (e < 0) return false;
      emit_literal(e);
      return true;
    }
    if (!is_normal_char(c)) return false;
    next();
    if (c == '^' || c == '$') {
      // RFC 9485 section 5.3 maps I-Regexp to PCRE-like dialects by passing these through,
      // so they act as anchors there, and the compliance suite expects exactly that.
      out_ += static_cast<char>(c);
      return true;
    }
    emit_literal(c);
    return true;
  }

  // SingleCharEsc after a backslash at pos_; returns the literal code point or kBad.
  int32_t single_char_escape() {
    size_t save = pos_;
    next();  // backslash
    int32_t e = next();
    switch (e) {
      case '(': case ')': case '*': case '+': case '-': case '.': case '?':
      case '[': case '\\': case ']': case '^': case '{': case '|': case '}':
        return e;
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      default:
        pos_ = save;
        return kBad;
    }
  }

  // \p{..} or \P{..}; emitted unchanged (PCRE2 knows the same general categories).
  bool class_escape() {
    if (pos_ + 1 >= in_.size()) return false;
    char kind = in_[pos_ + 1];
    if (kind != 'p' && kind != 'P') return false;
    size_t close = in_.find('}', pos_);
    if (pos_ + 2 >= in_.size() || in_[pos_ + 2] != '{' || close == std::string_view::npos)
      return false;
    std::string_view prop = in_.substr(pos_ + 3, close - pos_ - 3);
    if (prop.empty() || prop.size() > 2) return false;
    static constexpr std::string_view kCategories[] = {
        "L", "M", "N", "P", "Z", "S", "C"};
    static constexpr std::string_view kSub[] = {"lmotu", "cen", "dlo", "cdefios", "lps", "ckmo",
                                                "cfno"};
    bool ok = false;
    for (size_t i = 0; i < 7; ++i) {
      if (prop[0] != kCategories[i][0]) continue;
      ok = prop.size() == 1 || kSub[i].find(prop[1]) != std::string_view::npos;
    }
    if (!ok) return false;
    out_.append(in_.substr(pos_, close + 1 - pos_));
    pos_ = close + 1;
    return true;
  }

  // One CCchar (raw or escaped); kBad if none at pos_.
  int32_t cc_char() {
    int32_t c = peek();
    if (c == '\\') return single_char_escape();
    if (c < 0 || c == '-' || c == '[' || c == ']') return kBad;
    return next();
  }

  bool cce1() {
    if (peek() == '\\' && class_escape()) return true;
    int32_t lo = cc_char();
    if (lo < 0) return false;
    emit_literal(lo);
    if (peek() == '-' && pos_ + 1 < in_.size() && in_[pos_ + 1] != ']') {
      next();
      int32_t hi = cc_char();
      if (hi < 0 || hi < lo) return false;
      out_ += '-';
      emit_literal(hi);
    }
    return true;
  }

  bool class_expr() {
    next();  // [
    out_ += '[';
    if (peek() == '^') {
      next();
      out_ += '^';
    }
    if (peek() == '-') {
      next();
      out_ += "\\-";
    } else if (!cce1()) {
      return false;
    }
    for (;;) {
      int32_t c = peek();
      if (c == ']') break;
      if (c == '-') {
        next();
        if (peek() != ']') return false;
        out_ += "\\-";
        break;
      }
      if (!cce1()) return false;
    }
    next();  // ]
    out_ += ']';
    return true;
  }

  // "?<name>" after an opening parenthesis: a capturing group named by ASCII letters, digits
  // and '_' (a letter first), kept as PCRE2 spells it.
  bool group_name() {
    next();  // ?
    if (next() != '<') return false;
    std::string name;
    for (int32_t c = peek(); c != '>'; c = peek()) {
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool digit_or_score = (c >= '0' && c <= '9') || c == '_';
      if (!letter && !(digit_or_score && !name.empty())) return false;
      name += static_cast<char>(next());
    }
    next();  // >
    if (name.empty() || name.size() > 32) return false;
    out_ += "(?<" + name + ">";
    return true;
  }

  std::string_view in_;
  std::string& out_;
  bool named_groups_ = false;
  size_t pos_ = 0;
  int depth_ = 0;  // groups open
};

struct MatchData {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(data); }
};

}  // namespace

bool translate_iregexp(std::string_view iregexp, std::string& out, bool named_groups) {
  return Translator(iregexp, out, named_groups).run();
}

std::shared_ptr<const Regex> Regex::compile(std::string_view iregexp, bool full_match) {
  std::string pattern = full_match ? "\\A(?:" : "(?:";
  if (!translate_iregexp(iregexp, pattern)) return nullptr;
  pattern += full_match ? ")\\z" : ")";
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_NO_UTF_CHECK | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
  if (!code) return nullptr;  // e.g. {5,2}: valid I-Regexp syntax, but no regular language
  // Best effort: pcre2_match() uses the JIT code when there is some, else interprets.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::shared_ptr<const Regex>(new Regex(code));
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::matches(std::string_view subject) const {
  thread_local MatchData md;
  if (!md.data) return false;
  auto* code = static_cast<const pcre2_code*>(code_);
  auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  // No PCRE2_NO_UTF_CHECK: document strings are not validated by RapidJSON, and a malformed
  // subject must simply not match.
  return pcre2_match(code, s, subject.size(), 0, 0, md.data, nullptr) >= 0;
}

}  // namespace hub::jsonpath
