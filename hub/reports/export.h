#pragma once
// Tables for people in schools and communes: a report builds Tables (named columns with a kind,
// rows of cells) and this file writes them as CSV or as an Excel workbook (.xlsx), the two forms
// those offices work with. Reports never format files themselves, so every report's files look
// alike: Vietnamese headers as the report gives them, the header row frozen and bold with a
// filter, integers with thousands separators, shares as percentages, dates as dd/mm/yyyy.
//
// Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
// carriage return) are written with a leading apostrophe in CSV and always as plain strings in
// xlsx: a value typed by a vendor must never run as a formula on an officer's machine.
//
// Pure functions of their arguments (the xlsx writer uses a temporary file of its own):
// thread-safe.

#include <ctime>
#include <string>
#include <variant>
#include <vector>

#include "hub/common/result.h"

namespace hub::reports {

enum class CellKind {
  kText,
  kInteger,  // shown #,##0
  kDecimal,  // shown #,##0.00
  kPercent,  // the cell holds a fraction: 0.986 is shown 98.6%
  kDate,     // the cell holds "YYYY-MM-DD" text; a real date in xlsx, shown dd/mm/yyyy
};

struct Column {
  std::string header;  // row 1
  CellKind kind = CellKind::kText;
  double width = 0;  // in characters; 0 = fitted to the header and the first rows
};

// Empty, text, or a number (kInteger, kDecimal, kPercent columns). A number in a text column is
// written as a number; text in a number column as text (e.g. "—" for "not applicable").
using Cell = std::variant<std::monostate, std::string, double>;

struct Table {
  std::string name;  // sheet name: 1..31 characters, none of [ ] : * ? / \ (export.bad_table)
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;  // each row has columns.size() cells (export.bad_table)
};

// Checks a table's sheet name and row widths; error code "export.bad_table".
Status check_table(const Table& table);

// RFC 4180 CSV of one table: the header row, then the rows; comma separated, CRLF line ends,
// fields quoted when they hold a comma, quote, CR or LF (quotes doubled); UTF-8 with a byte-order
// mark, which Excel needs to read Vietnamese text as UTF-8. Numbers in C locale ("98.6", no
// thousands separator); percent cells as the fraction ("0.986"), dates as given (ISO).
Result<std::string> to_csv(const Table& table);

// An .xlsx workbook (its bytes) with one sheet per table, in order. Errors: "export.bad_table",
// "export.xlsx" (libxlsxwriter failed; its message).
// `created` is the creation time written in the document properties (docProps/core.xml), the
// only part of the file that otherwise changes from one run to the next (libxlsxwriter dates
// the zip entries 1980-01-01); 0 = the time of the call. Reports that must come out byte for
// byte the same from the same data give a time derived from their inputs (their cut-off date).
Result<std::string> to_xlsx(const std::vector<Table>& tables, std::time_t created = 0);

// Media types of the two forms, for HTTP answers.
inline constexpr const char* kCsvMediaType = "text/csv; charset=utf-8";
inline constexpr const char* kXlsxMediaType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

}  // namespace hub::reports
