#include "hub/mapping/text.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <cstdlib>
#include <memory>
#include <vector>

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
  if (cp >= 0x80 && cp < 0x800) {
    const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
    return;
  }
  if (cp >= 0x800 && cp < 0x10000 && (cp < 0xD800 || cp > 0xDFFF)) {
    const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
    return;
  }
  utf8proc_uint8_t buf[4];
  auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// Decodes the well-formed 2- and 3-byte UTF-8 sequences (all of Vietnamese) inline, and hands
// anything else to utf8proc, which also rejects what is malformed. Returns the sequence's
// length, or <= 0 when utf8proc finds it invalid.
inline utf8proc_ssize_t decode(const utf8proc_uint8_t* p, utf8proc_ssize_t left, utf8proc_int32_t* cp) {
  auto cont = [](utf8proc_uint8_t b) { return (b & 0xC0) == 0x80; };
  utf8proc_uint8_t c = p[0];
  if (c >= 0xC2 && c <= 0xDF && left >= 2 && cont(p[1])) {
    *cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (c >= 0xE1 && c <= 0xEC && left >= 3 && cont(p[1]) && cont(p[2])) {
    *cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  return utf8proc_iterate(p, left, cp);
}

// utf8proc's properties of the code points below U+2000 (Latin, the Vietnamese letters of
// U+1E00-U+1EFF, combining marks), read once: names are cased letter by letter, and a table
// lookup costs a fraction of utf8proc's two-level property search.
struct CpProps {
  utf8proc_int32_t lower, upper, title;
  bool letter, word;
};
constexpr utf8proc_int32_t kTableSize = 0x2000;

bool word_category(utf8proc_int32_t cp) {
  auto cat = utf8proc_category(cp);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) ||
         (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

bool letter_category(utf8proc_int32_t cp) {
  auto cat = utf8proc_category(cp);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

const CpProps* props_table() {
  static const std::vector<CpProps> table = [] {
    std::vector<CpProps> t(kTableSize);
    for (utf8proc_int32_t cp = 0; cp < kTableSize; ++cp)
      t[cp] = {utf8proc_tolower(cp), utf8proc_toupper(cp), utf8proc_totitle(cp), letter_category(cp), word_category(cp)};
    return t;
  }();
  return table.data();
}

bool is_word_cp(utf8proc_int32_t cp) {
  return cp >= 0 && cp < kTableSize ? props_table()[cp].word : word_category(cp);
}

bool is_letter_cp(utf8proc_int32_t cp) {
  return cp >= 0 && cp < kTableSize ? props_table()[cp].letter : letter_category(cp);
}

utf8proc_int32_t to_lower(utf8proc_int32_t cp) {
  return cp >= 0 && cp < kTableSize ? props_table()[cp].lower : utf8proc_tolower(cp);
}

utf8proc_int32_t to_upper(utf8proc_int32_t cp) {
  return cp >= 0 && cp < kTableSize ? props_table()[cp].upper : utf8proc_toupper(cp);
}

utf8proc_int32_t to_title(utf8proc_int32_t cp) {
  return cp >= 0 && cp < kTableSize ? props_table()[cp].title : utf8proc_totitle(cp);
}

// Walks UTF-8, mapping each letter through `map` (given whether it starts a word); malformed
// bytes are copied unchanged and count as a word boundary.
template <class Map>
std::string map_letters(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  bool in_word = false;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    if (*p < 0x80) {  // ASCII: letters map to ASCII, digits continue a word, the rest ends one
      char c = static_cast<char>(*p);
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      out.push_back(letter ? static_cast<char>(map(c, !in_word)) : c);
      in_word = letter || (c >= '0' && c <= '9');
      ++p;
      --left;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = decode(p, left, &cp);
    if (n <= 0) {
      out.push_back(static_cast<char>(*p));
      ++p;
      --left;
      in_word = false;
      continue;
    }
    if (is_letter_cp(cp)) append_utf8(out, map(cp, !in_word));
    else out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    in_word = is_word_cp(cp);
    p += n;
    left -= n;
  }
  return out;
}

bool decode_all(std::string_view s, std::vector<utf8proc_int32_t>& cps) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return false;
    cps.push_back(cp);
    p += n;
    left -= n;
  }
  return true;
}

bool is_tone_mark(utf8proc_int32_t cp) {
  // grave (huyền), acute (sắc), tilde (ngã), hook above (hỏi), dot below (nặng)
  return cp == 0x0300 || cp == 0x0301 || cp == 0x0303 || cp == 0x0309 || cp == 0x0323;
}

bool is_mark_cp(utf8proc_int32_t cp) {
  auto cat = utf8proc_category(cp);
  return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

char ascii_lower(utf8proc_int32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return static_cast<char>(cp - 'A' + 'a');
  if (cp >= 'a' && cp <= 'z') return static_cast<char>(cp);
  return 0;
}

struct Cluster {
  std::size_t base;   // index of the base letter in the decomposed word
  std::size_t end;    // one past its last combining mark
};

// Appends the decomposed word cps[begin, end) to out, with the tone of a final "oa"/"oe"/"uy"
// moved from the second vowel to the first.
void move_tone_in_word(const std::vector<utf8proc_int32_t>& cps, std::size_t begin, std::size_t end,
                       std::vector<utf8proc_int32_t>& out) {
  std::vector<Cluster> clusters;
  for (std::size_t i = begin; i < end; ++i) {
    if (is_mark_cp(cps[i]) && !clusters.empty()) clusters.back().end = i + 1;
    else clusters.push_back({i, i + 1});
  }
  auto copy_all = [&] { out.insert(out.end(), cps.begin() + begin, cps.begin() + end); };
  std::size_t n = clusters.size();
  if (n < 2) return copy_all();
  const Cluster& first = clusters[n - 2];
  const Cluster& second = clusters[n - 1];
  char v1 = ascii_lower(cps[first.base]);
  char v2 = ascii_lower(cps[second.base]);
  bool pair = (v1 == 'o' && (v2 == 'a' || v2 == 'e')) || (v1 == 'u' && v2 == 'y');
  if (!pair) return copy_all();
  if (n >= 3) {
    char before = ascii_lower(cps[clusters[n - 3].base]);
    bool before_is_vowel = before && std::string_view("aeiouy").find(before) != std::string_view::npos;
    // "quy" is q+u consonant then y: "quý" is spelled the same in both conventions.
    if (before_is_vowel || (v1 == 'u' && before == 'q')) return copy_all();
  }
  // Vowels carrying anything but a tone ("ơ", "ê", "ư", "ă") are different syllables.
  std::size_t tone_at = 0;
  int tones_first = 0, tones_second = 0;
  for (std::size_t i = first.base + 1; i < first.end; ++i) {
    if (!is_tone_mark(cps[i])) return copy_all();
    ++tones_first;
  }
  for (std::size_t i = second.base + 1; i < second.end; ++i) {
    if (!is_tone_mark(cps[i])) return copy_all();
    ++tones_second;
    tone_at = i;
  }
  if (tones_first != 0 || tones_second != 1) return copy_all();
  out.insert(out.end(), cps.begin() + begin, cps.begin() + first.end);
  out.push_back(cps[tone_at]);
  out.push_back(cps[second.base]);
}

}  // namespace

// True when `s` is valid UTF-8 made only of code points below U+0300 or in Latin Extended
// Additional (U+1E00-U+1EFF, the precomposed Vietnamese letters): such text has no combining
// marks and nothing NFC would change, so the common case skips utf8proc entirely.
bool already_nfc(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    if (*p < 0x80) {
      ++p;
      --left;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = decode(p, left, &cp);
    if (n <= 0) return false;
    if (cp >= 0x300 && (cp < 0x1E00 || cp > 0x1EFF)) return false;
    p += n;
    left -= n;
  }
  return true;
}

Result<std::string> nfc(std::string_view s) {
  if (already_nfc(s)) return std::string(s);
  std::string out;
  if (!map_utf8(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE, out))
    return make_error("text.invalid_utf8", "the value is not valid UTF-8");
  return out;
}

// Length of the Unicode space separator (category Zs) at the start of `s`, 0 if none. The Zs
// set is small and fixed: U+0020, U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000.
// ASCII control white space (tab, new line ...) counts too.
inline std::size_t space_at(std::string_view s) {
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return c == ' ' || (c >= '\t' && c <= '\r') ? 1 : 0;
  if (c == 0xC2) return s.size() >= 2 && b(1) == 0xA0 ? 2 : 0;
  if (s.size() < 3) return 0;
  if (c == 0xE1) return b(1) == 0x9A && b(2) == 0x80 ? 3 : 0;
  if (c == 0xE2)
    return (b(1) == 0x80 && (b(2) <= 0x8A || b(2) == 0xAF) && b(2) >= 0x80) || (b(1) == 0x81 && b(2) == 0x9F) ? 3 : 0;
  if (c == 0xE3) return b(1) == 0x80 && b(2) == 0x80 ? 3 : 0;
  return 0;
}

// False for the bytes that cannot start a space (printable ASCII, continuation bytes and the
// lead bytes of other characters), which is nearly every byte of real text.
inline bool may_start_space(unsigned char c) {
  return c <= ' ' || c == 0xC2 || (c >= 0xE1 && c <= 0xE3);
}

inline std::size_t space_at(std::string_view s, std::size_t i) {
  return may_start_space(static_cast<unsigned char>(s[i])) ? space_at(s.substr(i)) : 0;
}

// True when collapse_spaces(s) == s: no space at either end, and every space between words is
// one ASCII space.
bool collapsed(std::string_view s) {
  bool after_space = true;  // a space at the start is one too many
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!may_start_space(static_cast<unsigned char>(s[i]))) {
      after_space = false;
      continue;
    }
    if (s[i] != ' ' || after_space) {
      if (space_at(s.substr(i)) != 0) return false;
      after_space = false;  // a byte that only looked like the start of a space
      continue;
    }
    after_space = true;
  }
  return !after_space || s.empty();
}

// already_nfc(s) && collapsed(s) in one pass: text that neither NFC nor collapse_spaces would
// change, as most vendor text and every normalized value is. U+00A0 is the only space that
// already_nfc lets through (the others are above U+0300).
bool clean_nfc(std::string_view s) {
  bool after_space = true;  // a space at the start is one too many
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_uint8_t c = *p;
    if (c > ' ' && c < 0x80) {  // most bytes: printable ASCII
      after_space = false;
      ++p;
      --left;
      continue;
    }
    if (c < 0x80) {
      if (c == ' ' && after_space) return false;
      if (c >= '\t' && c <= '\r') return false;
      after_space = c == ' ';
      ++p;
      --left;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = decode(p, left, &cp);
    if (n <= 0 || cp == 0xA0 || (cp >= 0x300 && (cp < 0x1E00 || cp > 0x1EFF))) return false;
    after_space = false;
    p += n;
    left -= n;
  }
  return !after_space || s.empty();
}

std::string collapse_spaces(std::string_view s) {
  if (collapsed(s)) return std::string(s);
  // Byte by byte: other bytes, malformed or not, are copied as they are (nfc() is where bad
  // UTF-8 is reported), so runs between spaces are copied whole.
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    std::size_t k = 0;
    while (run < s.size() && (k = space_at(s, run)) == 0) ++run;
    if (run > i) {
      if (!out.empty()) out.push_back(' ');
      out.append(s.data() + i, run - i);
    }
    if (run >= s.size()) break;
    i = run + k;
    while (i < s.size() && (k = space_at(s, i)) != 0) i += k;
  }
  return out;
}

std::string fold_key(std::string_view s) {
  // ASCII (codes, unaccented names): lower case, punctuation to spaces, no Unicode tables.
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    std::string out;
    out.reserve(s.size());
    bool pending_space = false;
    for (char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        if (pending_space) out.push_back(' ');
        pending_space = false;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      } else {
        pending_space = !out.empty();
      }
    }
    return out;
  }
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

std::string_view trim(std::string_view s) {
  // Nearly all text starts and ends with a byte that is neither white space nor part of U+00A0.
  auto b = [](char c) { return static_cast<unsigned char>(c); };
  if (s.empty() || (b(s.front()) > ' ' && b(s.front()) != 0xC2 && b(s.back()) > ' ' && b(s.back()) != 0xA0))
    return s;
  auto is_space_at_front = [](std::string_view v) -> std::size_t {
    if (v.empty()) return 0;
    char c = v.front();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
    if (v.size() >= 2 && v[0] == '\xC2' && v[1] == '\xA0') return 2;
    return 0;
  };
  auto is_space_at_back = [](std::string_view v) -> std::size_t {
    if (v.empty()) return 0;
    char c = v.back();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return 1;
    if (v.size() >= 2 && v[v.size() - 2] == '\xC2' && v.back() == '\xA0') return 2;
    return 0;
  };
  while (std::size_t k = is_space_at_front(s)) s.remove_prefix(k);
  while (std::size_t k = is_space_at_back(s)) s.remove_suffix(k);
  return s;
}

std::string value_shape(std::string_view v) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (std::size_t i = 0; i < v.size() && out.size() < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c >= '0' && c <= '9') out.push_back('N');
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) out.push_back('a');
    else if (c < 0x80) out.push_back(static_cast<char>(c));
    else if ((c & 0xC0) != 0x80) out.push_back('?');  // count lead bytes, not continuation bytes
  }
  if (out.size() >= kMax) out += "...";
  return out;
}

std::string upper(std::string_view s) {
  return map_letters(s, [](utf8proc_int32_t cp, bool) { return to_upper(cp); });
}

std::string lower(std::string_view s) {
  return map_letters(s, [](utf8proc_int32_t cp, bool) { return to_lower(cp); });
}

std::string name_case(std::string_view s) {
  auto title = [](utf8proc_int32_t cp, bool word_start) { return word_start ? to_title(cp) : to_lower(cp); };
  // Text already in NFC (nearly all of it) is spaced straight from the input, and text already
  // clean (the output of normalize, say) is cased from it with no copy at all.
  if (clean_nfc(s)) return map_letters(s, title);
  if (already_nfc(s)) return map_letters(collapse_spaces(s), title);
  auto composed = nfc(s);
  return map_letters(collapse_spaces(composed.ok() ? std::string_view(*composed) : s), title);
}

std::optional<NameCharacter> first_non_name_character(std::string_view s, std::string_view extra) {
  // Every field holding a name of every record passes here: ASCII by a table, the rest of the
  // Latin and Vietnamese letters and marks by the property table, only rarer ones by utf8proc.
  static const std::array<bool, 128> kAscii = [] {
    std::array<bool, 128> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
    t[' '] = t['\''] = t['-'] = true;
    return t;
  }();
  const CpProps* props = props_table();
  const auto* begin = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  const auto* end = begin + s.size();
  const auto* p = begin;
  auto refused = [&](char32_t cp) {
    std::size_t position = 1;  // counted only for the report
    for (const auto* q = begin; q < p; ++q) position += (*q & 0xC0) != 0x80;
    return NameCharacter{cp, position};
  };
  while (p < end) {
    if (*p < 0x80) {
      if (!kAscii[*p] && (extra.empty() || extra.find(static_cast<char>(*p)) == std::string_view::npos))
        return refused(*p);
      ++p;
      continue;
    }
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = decode(p, end - p, &cp);
    if (n <= 0) return refused(0);
    bool ok = cp < kTableSize ? props[cp].letter || is_mark_cp(cp) || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS
                              : letter_category(cp) || is_mark_cp(cp) || cp == 0x2019 || cp == 0x2010 ||
                                    cp == 0x2011 || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
    if (!ok && !extra.empty()) ok = extra.find(std::string_view(reinterpret_cast<const char*>(p), n)) != std::string_view::npos;
    if (!ok) return refused(static_cast<char32_t>(cp));
    p += n;
  }
  return std::nullopt;
}

Result<std::string> normalize_text(std::string_view s) {
  if (clean_nfc(s)) return std::string(s);
  if (already_nfc(s)) return collapse_spaces(s);
  auto composed = nfc(s);
  if (!composed.ok()) return composed.error();
  return collapse_spaces(*composed);
}

Result<std::string> canonical_tone_marks(std::string_view s) {
  std::string decomposed;
  std::vector<utf8proc_int32_t> cps;
  if (!map_utf8(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, decomposed) || !decode_all(decomposed, cps))
    return make_error("text.invalid_utf8", "the value is not valid UTF-8");
  std::vector<utf8proc_int32_t> moved;
  moved.reserve(cps.size() + 1);
  std::size_t i = 0;
  while (i < cps.size()) {
    if (!is_word_cp(cps[i])) {
      moved.push_back(cps[i++]);
      continue;
    }
    std::size_t j = i;
    while (j < cps.size() && is_word_cp(cps[j])) ++j;
    move_tone_in_word(cps, i, j, moved);
    i = j;
  }
  std::string joined;
  joined.reserve(decomposed.size());
  for (auto cp : moved) append_utf8(joined, cp);
  return nfc(joined);
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace hub::text
