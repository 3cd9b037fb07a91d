#pragma once
// Text normalisation for Vietnamese data: Unicode NFC, space clean-up, diacritic folding for
// matching keys, name casing. Vendors send NFD, mixed tone-mark placement ("Hoà"/"Hòa"), stray
// spaces and all-caps names; these functions make such variants compare equal where they should.
// All functions are pure and thread-safe. Input must be UTF-8; invalid UTF-8 is an error.

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

}  // namespace hub::text
