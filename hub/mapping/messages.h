#pragma once
// Vietnamese wording of the hub's stable error codes, for partners' staff who read Vietnamese.
// The English message of each error stays specific (it names values and formats); the
// Vietnamese one says what the code means. Pure lookups; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::mapping {

// The Vietnamese message for `code`; a general one naming the code for codes not in the table.
std::string vietnamese_message(std::string_view code);
// The Vietnamese message for `code`, or nullopt for a code not in the table.
std::optional<std::string> find_vietnamese_message(std::string_view code);

// The Vietnamese message of a problem+json answer (the HTTP edge's codes: authentication, rate
// limits, limits on requests, overload), else of a data code above; a general one otherwise.
std::string problem_message_vi(std::string_view code);
// True when `code` has a message of its own (tests check that every code the hub emits has).
bool has_vietnamese_message(std::string_view code);

// Every code with a message of its own, and that message: the data codes, then the HTTP edge's.
// docs/vendor-guide.md lists them all, with the same Vietnamese (a test checks it).
std::vector<std::pair<std::string, std::string>> all_vietnamese_messages();

}  // namespace hub::mapping
