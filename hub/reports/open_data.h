#pragma once
// Open data for the city's portal: the EMIS report's aggregates with no personal data, cells of
// fewer than kMinCellPersons persons suppressed, as CSV and JSON with a data dictionary
// (JSON and Markdown, Vietnamese and English).
//
// Suppression, per row (a commune or a school; there is no total row, so nothing can be
// recomputed down a column):
// 1. a count of persons (students, staff and their breakdowns) from 1 to kMinCellPersons - 1 is
//    suppressed; 0 is shown (an empty cell identifies nobody); counts of schools and classes are
//    not about persons and are always shown;
// 2. a suppressed total (students, staff) suppresses every cell of its breakdowns;
// 3. complementary suppression: every breakdown (grade, gender, ethnicity, policy group; staff
//    group) adds up to its total, so within a breakdown whose total is shown, more cells are
//    suppressed, smallest non-zero first, until at least two are and together they hold at least
//    kMinCellPersons persons: no suppressed cell can then be recomputed from the total and the
//    other cells, nor narrowed to a small range.
// Suppressed cells hold the marker kSuppressedMarker in both files. Publishing both levels
// (by commune and by school) for the same date would let a reader subtract a commune's shown
// schools from its commune total: publish one level per cut-off.
// Pure functions: thread-safe.

#include <set>
#include <string>
#include <vector>

#include "hub/reports/emis.h"

namespace hub::reports {

inline constexpr long long kMinCellPersons = 5;
inline constexpr const char* kSuppressedMarker = "x";

struct OpenData {
  EmisReport report;                           // the source figures (never published as they are)
  std::vector<std::set<std::string>> suppressed;  // per row of report.rows, the keys suppressed
};

// True for columns that count persons.
bool counts_persons(const std::string& key);
// Applies the suppression above to every row.
OpenData make_open_data(const EmisReport& report);

// File names in the output folder: emis-<as_of>-<by>.csv|.json and
// emis-<as_of>-<by>-dictionary.json|.md.
std::string open_data_basename(const EmisReport& report);
Result<std::string> open_data_csv(const OpenData& d);
std::string open_data_json(const OpenData& d);
std::string dictionary_json(const OpenData& d);
std::string dictionary_markdown(const OpenData& d);

}  // namespace hub::reports
