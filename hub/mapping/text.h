#pragma once
// Text normalisation for Vietnamese data: Unicode NFC, space clean-up, diacritic folding for
// matching keys, name casing. Vendors send NFD, mixed tone-mark placement ("Hoà"/"Hòa"), stray
// spaces and all-caps names; these functions make such variants compare equal where they should.
// All functions are pure and thread-safe. Input must be UTF-8; invalid UTF-8 is an error.

#include <optional>
#include <string>
#include <string_view>

#include "hub/common/result.h"

namespace hub::text {

// Canonical composition (NFC). Error "text.invalid_utf8" on malformed input.
Result<std::string> nfc(std::string_view s);

// Trim both ends and collapse every run of Unicode white space into one ASCII space.
std::string collapse_spaces(std::string_view s);

// A key for comparing names and catalog entries: NFC, lower case, diacritics removed
// (đ/Đ -> d), punctuation other than letters/digits turned into spaces, spaces collapsed.
// "Nguyễn  Văn ĐỨC" and "nguyen van duc" give the same key. Invalid UTF-8 gives "".
std::string fold_key(std::string_view s);

// The number of characters (code points) of UTF-8 text: what a length limit counts, and what
// a spreadsheet column shows.
std::size_t code_points(std::string_view s);

// Trims ASCII white space and U+00A0 (spreadsheet exports often pad cells with it) from both ends.
std::string_view trim(std::string_view s);

// Describes what a value looks like without repeating it, for error messages about personal
// data: ASCII digits become 'N', ASCII letters 'a', other ASCII is kept, every non-ASCII character
// becomes '?'; at most 40 characters, then "...". "05/01/2010" -> "NN/NN/NNNN".
std::string value_shape(std::string_view s);

// Full Unicode simple case mapping, code point by code point ("đặng" <-> "ĐẶNG"). The
// normalisation form is left as it is (NFC stays NFC); malformed bytes are copied unchanged,
// because these are formatting helpers and nfc()/normalize_text() are where bad input is reported.
std::string upper(std::string_view s);
std::string lower(std::string_view s);

// Vietnamese personal-name casing: NFC, collapse_spaces, then the first letter of every word in
// title case and the rest in lower case ("NGUYỄN văn  đức" -> "Nguyễn Văn Đức"). A word starts
// after anything that is not a letter, mark or digit, so hyphenated and apostrophe names of
// ethnic minorities keep each part capitalised ("y-moan" -> "Y-Moan", "h'hen" -> "H'Hen").
// Tone-mark placement is not changed ("HOÀ" -> "Hoà"). Invalid UTF-8 is cased as far as it can
// be, malformed bytes copied unchanged.
std::string name_case(std::string_view s);

// Where a person's name has a character that no name has. The default rule: letters (Unicode L*),
// combining marks (M*), space separators (Zs), apostrophes (' U+2019 U+02BC) and hyphens (-
// U+2010 U+2011); `extra` holds further characters a mapping allows (e.g. "."). So
// "Lê Văn Bình<script>", "Nguyễn Văn 2" and a tab are refused, "H'Hen Niê" and "Y-Moan" are not.
struct NameCharacter {
  char32_t code_point = 0;    // the character refused (0 for malformed UTF-8)
  std::size_t position = 0;   // 1-based, in characters
};
std::optional<NameCharacter> first_non_name_character(std::string_view s, std::string_view extra = {});

// The default cleaning for free text: NFC then collapse_spaces. "text.invalid_utf8" on bad input.
Result<std::string> normalize_text(std::string_view s);

// Rewrites old/new tone-mark placement to one spelling so catalog names can be compared
// exactly: an open syllable ending in "oa", "oe" or "uy" (not "quy") gets its tone mark on the
// first vowel, as in "Hòa", "Khỏe", "Thủy" ("Hoà" -> "Hòa", "Thuỷ" -> "Thủy", "UỶ" -> "ỦY").
// The "old" placement was chosen because official administrative names mostly use it
// ("Thanh Hóa", "Khánh Hòa"). Closed syllables ("hoàng", "toán") and "quý" are unambiguous and
// left alone. Output is NFC; "text.invalid_utf8" on bad input. Use it for comparison keys, not
// to rewrite what a person typed as their own name.
Result<std::string> canonical_tone_marks(std::string_view s);

}  // namespace hub::text
