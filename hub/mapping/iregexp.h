#pragma once
// I-Regexp (RFC 9485) for the JSONPath match()/search() functions: checks the restricted
// syntax and translates it to an equivalent PCRE2 (UTF mode) pattern, so behaviour does not
// depend on PCRE2 extensions leaking through.
//
// Thread-safety: a compiled Regex is immutable; matches() may be called from many threads
// (each thread uses its own match data).

#include <memory>
#include <string>
#include <string_view>

namespace hub::jsonpath {

// Appends the PCRE2 equivalent of `iregexp` to `out`; false (out unspecified) if `iregexp` is
// not a valid I-Regexp or not valid UTF-8. With `named_groups`, "(?<name>...)" is accepted too
// and stays a named capturing group (the mapping's capture transform); every other group is
// non-capturing.
bool translate_iregexp(std::string_view iregexp, std::string& out, bool named_groups = false);

class Regex {
 public:
  // nullptr when the pattern is not a valid I-Regexp. `full_match` anchors at both ends
  // (match()); otherwise any substring may match (search()).
  static std::shared_ptr<const Regex> compile(std::string_view iregexp, bool full_match);

  bool matches(std::string_view subject) const;

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

 private:
  explicit Regex(void* code) : code_(code) {}
  void* code_;  // pcre2_code_8*, kept opaque so users need not include pcre2.h
};

}  // namespace hub::jsonpath
