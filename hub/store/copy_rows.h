#pragma once
// Rows written with COPY ... FROM STDIN instead of INSERT ... SELECT from a JSON parameter.
// COPY parses each value once (no JSON document to parse and take apart first) and fills heap
// pages in bulk; in a micro-benchmark of 200,000 natural_key rows it cost a quarter of the
// INSERT's time (docs/benchmarks.md, ingest: where the time goes). Only for rows that are new by construction: a
// duplicate key is then a concurrent writer, and its unique violation (23505) aborts the chunk,
// which the ingest loop retries like any other conflict.

#include <pqxx/pqxx>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// The rows of one table in COPY's text format, escaped as they are added.
class CopyText {
 public:
  using Field = std::optional<std::string_view>;  // nullopt: NULL

  CopyText(std::string table, std::vector<std::string> columns) : table_(std::move(table)), columns_(std::move(columns)) {}

  void add_row(const Field* fields, std::size_t n);
  bool empty() const { return rows_ == 0; }
  std::size_t size() const { return rows_; }

  // Sends the rows (nothing when there are none) in one COPY.
  void write(pqxx::transaction_base& tx) const;

 private:
  std::string table_;
  std::vector<std::string> columns_;
  std::string text_;  // lines without the last newline (pqxx adds it)
  std::size_t rows_ = 0;
};

template <std::size_t N>
class CopyRows : public CopyText {
 public:
  CopyRows(std::string table, const std::array<const char*, N>& columns)
      : CopyText(std::move(table), std::vector<std::string>(columns.begin(), columns.end())) {}

  void add(const std::array<Field, N>& fields) { add_row(fields.data(), N); }
};

}  // namespace hub
