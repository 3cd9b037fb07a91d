#pragma once
// Frozen submissions: an EMIS report stored as it was computed (its JSON byte for byte, table
// frozen_report, migration 0020) with the change-log position its inputs had, its parameters,
// who froze it and when. Frozen reports are never changed (the table refuses updates and
// deletes): a later correction of the data shows as a difference between the frozen figures
// and the same report computed now (diff), never as a silent change of what was submitted.
// Free functions over the caller's transaction: thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "hub/common/json.h"
#include "hub/reports/emis.h"

namespace hub::reports {

struct FrozenMeta {
  long long id = 0;
  std::string label;
  std::string as_of, by, level;
  std::vector<std::string> units;  // the units the figures cover (empty = all)
  long long change_seq = 0;
  std::string figures_sha256;
  std::string frozen_by, frozen_at;  // frozen_at ISO-8601 UTC
};

struct FrozenReport {
  FrozenMeta meta;
  std::string figures;  // the report's JSON as stored
};

// Longest label; labels are text a person types ("EMIS 30/9/2025").
inline constexpr std::size_t kMaxLabelChars = 200;
// Checks a label: valid UTF-8 without NUL, at most kMaxLabelChars characters; error
// "request.parameter" (path "label").
Status check_label(const std::string& label);

// Stores `report` (computed in `tx`, whose change-log position is `change_seq`) and an audit row
// `report.freeze`, in `tx`.
FrozenMeta freeze(pqxx::work& tx, const EmisReport& report, long long change_seq, const std::string& label,
                  const std::string& actor, const std::string& source);

// Newest first, at most `limit`.
std::vector<FrozenMeta> list_frozen(pqxx::work& tx, int limit);
std::optional<FrozenReport> load_frozen(pqxx::work& tx, long long id);

// A caller limited to `units` sees a frozen report when one of its rows is inside them.
bool frozen_visible(const EmisReport& figures, const std::vector<std::string>& units);

// The frozen figures and the same report computed now, side by side.
struct DiffRow {
  EmisRow unit;        // the unit's fields (counts unused)
  std::string status;  // same | changed | only_frozen | only_now
  EmisRow frozen, now;
};
struct EmisDiff {
  EmisBy by = EmisBy::kCommune;
  std::vector<EmisColumn> columns;  // of both
  std::vector<DiffRow> rows;        // every unit of either, in report order
  DiffRow total;
  long long changed_cells = 0;  // over the rows (not the total)
};
EmisDiff diff(const EmisReport& frozen, const EmisReport& now);

// Changes to the report's inputs (schools, classes, students, enrollments, staff) after `seq`.
long long changes_since(pqxx::work& tx, long long seq);

void write_meta(json::JsonWriter& w, const FrozenMeta& m);
std::string diff_json(const FrozenMeta& meta, const EmisDiff& d, long long now_seq, long long changes);
// The differing cells as a table: unit, column, frozen, now, difference (CSV and the CLI).
Table diff_table(const EmisDiff& d);

}  // namespace hub::reports
