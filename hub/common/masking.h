#pragma once
// Masking of 12-digit personal IDs (CCCD) in free text: the last safety net of the logs and of
// database error messages, whose text may hold row data. It lives in common, below every stage,
// because the logger uses it; the masking of a single value a vendor sent (any shape, not only
// 12 digits) is validate::mask_personal_id (hub/mapping/validators.h). Pure; thread-safe.

#include <string>
#include <string_view>

namespace hub {

// Masks every run of exactly 12 ASCII digits that no other letter or digit touches, keeping its
// first 3 and last 2 digits ("... 031214000123 ..." -> "... 031*******23 ..."). A longer or
// shorter digit run, or one inside a word (hex ids), is left as it is.
std::string mask_personal_ids_in_text(std::string_view text);

}  // namespace hub
