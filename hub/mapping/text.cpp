#include "hub/mapping/text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace hub::text {
namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* p) const { std::free(p); }
};

// Runs utf8proc_map with the given options; nullopt-like empty result + false on bad input.
bool map_utf8(std::string_view s, int options, std::string& out) {
  utf8proc_uint8_t* mapped = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                    static_cast<utf8proc_ssize_t>(s.size()), &mapped,
                                    static_cast<utf8proc_option_t>(options));
  if (n < 0) return false;
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> guard(mapped);
  out.assign(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  return true;
}

void append_utf8(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

Result<std::string> nfc(std::string_view s) {
  std::string out;
  if (!map_utf8(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE, out))
    return make_error("text.invalid_utf8", "the value is not valid UTF-8");
  return out;
}

std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // keep malformed bytes as they are; nfc() is where they are reported
      n = 1;
      cp = -1;
    }
    bool space = cp >= 0 && (utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS || cp == '\t' ||
                             cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f');
    if (space) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    }
    p += n;
    left -= n;
  }
  return out;
}

std::string fold_key(std::string_view s) {
  // Decompose and drop combining marks, so every tone-mark placement folds the same way.
  std::string decomposed;
  if (!map_utf8(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD,
                decomposed))
    return {};
  std::string out;
  out.reserve(decomposed.size());
  bool pending_space = false;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(decomposed.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(decomposed.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) break;
    p += n;
    left -= n;
    if (cp == 0x0111 || cp == 0x0110) cp = 'd';  // đ has no decomposition in Unicode
    auto cat = utf8proc_category(cp);
    bool keep = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
    if (!keep) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    append_utf8(out, cp);
  }
  return out;
}

}  // namespace hub::text
