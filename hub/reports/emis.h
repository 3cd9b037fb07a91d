#pragma once
// The EMIS cut-off report: how many schools, classes, students (by grade, gender, ethnicity,
// policy group) and staff (by group) each commune or school had on a cut-off date (30 September,
// 31 May), counted from the effective-dated records as they were in force that day
// (records_as_of, migration 0020: the reading the snapshot export uses too). The rules of what
// counts are in docs/reports.md (EMIS cut-off reports); in short:
// - a student counts once, at the school of the enrollment in force on the date that started
//   last (a transfer counts at the new school from its first day), unless that enrollment says
//   the student left (CHUYEN_DI, THOI_HOC, DA_MAT, TAM_NGHI) without an end date: the day they
//   left is unknown, so they are not counted and appear in `students_left_undated` instead;
// - classes are the class records of the school year the date falls in (September to August);
// - staff are those working (DANG_LAM_VIEC) or on leave (TAM_NGHI) at a school who had started
//   there by the date when the start date is known (staff records are not effective dated);
// - a school counts when it was established by the date (or has no date) and is not dissolved or
//   merged, or when a student of it counts that day.
// The same data and parameters give the same bytes in every format: rows ordered by province,
// commune and school code, columns in a fixed order of measures and codes, integers only, no
// time of computation in the body (a workbook's creation time is the cut-off date).
//
// Units: a report places each school in a commune and province either of the report's date
// (units=as_of, the default: the figures as they were submitted then) or of today, mapped forward
// through the 2025 crosswalk (units=current). A school is placed by its own location (its
// commune's values over its versions, catalog::place_unit), never by a share of a split commune.
//
// What a caller sees is a function of its units (hub/common/scopes.h), so tokens and, later,
// person accounts limit the report the same way: only the schools inside the units are counted,
// and only rows inside them are shown. Free functions over the caller's transaction and
// immutable catalogs: thread-safe.

#include <pqxx/pqxx>

#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/common/scopes.h"
#include "hub/mapping/catalog.h"
#include "hub/mapping/unit_history.h"
#include "hub/reports/export.h"

namespace hub::reports {

enum class EmisBy { kCommune, kSchool };
const char* by_name(EmisBy by);
// "commune" | "school"; error "request.parameter" (path "by") otherwise.
Result<EmisBy> parse_by(std::string_view s);
const char* units_name(catalog::UnitsMode mode);
// "as_of" | "current"; error "report.units" (path "units") otherwise.
Result<catalog::UnitsMode> parse_units(std::string_view s);

struct EmisParams {
  Date as_of;
  EmisBy by = EmisBy::kCommune;
  std::string level;               // school_level code ("02" ...); "" = every level
  std::vector<std::string> units;  // the caller's units; empty = every unit
  catalog::UnitsMode units_mode = catalog::UnitsMode::kAsOf;
};

// One count column of the report: its key (stable, used in JSON and open data) and its labels.
struct EmisColumn {
  std::string key;  // "students", "students.grade.6", "staff.group.GV" ...
  std::string label_vi, label_en;
};

// One commune or one school. School fields are empty in a report by commune.
struct EmisRow {
  std::string province, commune, commune_name;
  std::string school_code, school_name, school_level;
  std::map<std::string, long long> counts;  // column key -> count (absent = 0)
  // A row of a pre-reform commune: the current communes it went into ("province|commune"), so
  // that a caller limited to today's units sees it only when all of them are its own.
  std::vector<std::string> current_units;
  // Schools of this row whose unit of the report's kind their history does not say (they stay
  // in the commune they are stored with; docs/reports.md).
  long long unplaced_schools = 0;
  long long count(const std::string& key) const;
};

struct EmisReport {
  Date as_of;
  std::string school_year;  // "2025-2026": the year the date falls in
  EmisBy by = EmisBy::kCommune;
  std::string level;
  std::vector<std::string> units;
  catalog::UnitsMode units_mode = catalog::UnitsMode::kAsOf;
  std::vector<EmisColumn> columns;  // in order
  std::vector<EmisRow> rows;        // in order
  EmisRow total;                    // sums of the rows
};

// The school year a date falls in: September to August ("2025-2026" for 2025-09-30 and 2026-05-31).
std::string school_year_of(Date d);

// The level as a school_level code: a code or a name of the catalog ("THCS", "Tiểu học");
// error "request.parameter" (path "level") when the catalog does not know it.
Result<std::string> level_code(const catalog::CatalogSet& catalogs, std::string_view level);

// Whether a caller limited to `units` may see a row (a commune row needs a commune or province
// unit covering it, and a pre-reform commune's row units covering every commune it went into; a
// school row any unit covering the school).
bool row_visible(const std::vector<std::string>& units, const EmisRow& row, EmisBy by);

// Computes the report in the caller's transaction. Run it in a repeatable-read transaction when
// the figures must match a change-log position read in the same transaction (a freeze).
Result<EmisReport> compute_emis(pqxx::work& tx, const catalog::CatalogSet& catalogs, const EmisParams& params);

// The highest change-log seq the transaction sees: the inputs' position for a freeze.
long long change_position(pqxx::work& tx);

// The report's own JSON (keys, labels, rows with every column's count, total). Parsed back by
// emis_from_json, which frozen reports rely on.
std::string to_json(const EmisReport& report);
Result<EmisReport> emis_from_json(std::string_view json);

// The rows a caller limited to `units` may see, with the total recomputed over them.
EmisReport visible_part(const EmisReport& report, const std::vector<std::string>& units);

// The report as one table (Vietnamese headers, a total row) for CSV and xlsx, and the column
// dictionary as a second table for the workbook.
Table emis_table(const EmisReport& report);
Table emis_columns_table(const EmisReport& report);
// CSV of emis_table; an xlsx of both tables created at the cut-off date (00:00 UTC).
Result<std::string> emis_csv(const EmisReport& report);
Result<std::string> emis_xlsx(const EmisReport& report);
std::time_t created_time(Date as_of);

}  // namespace hub::reports
