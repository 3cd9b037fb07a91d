#pragma once
// Rows written with COPY ... FROM STDIN instead of INSERT ... SELECT from a JSON parameter.
// COPY parses each value once (no JSON document to parse and take apart first) and fills heap
// pages in bulk; in a micro-benchmark of 200,000 natural_key rows it cost a quarter of the
// INSERT's time (docs/benchmarks.md, run 12). Only for rows that are new by construction: a
// duplicate key is then a concurrent writer, and its unique violation (23505) aborts the chunk,
// which the ingest loop retries like any other conflict.

#include <pqxx/pqxx>

#include <array>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace hub {

template <std::size_t N>
class CopyRows {
 public:
  using Row = std::array<std::optional<std::string>, N>;  // nullopt: NULL

  CopyRows(std::string table, std::array<const char*, N> columns) : table_(std::move(table)), columns_(columns) {}

  void add(Row row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  std::size_t size() const { return rows_.size(); }

  // Sends the rows (nothing when there are none) in one COPY.
  void write(pqxx::transaction_base& tx) const {
    if (rows_.empty()) return;
    pqxx::stream_to copy(tx, table_, std::vector<std::string>(columns_.begin(), columns_.end()));
    for (const auto& row : rows_) copy << fields(row, std::make_index_sequence<N>{});
    copy.complete();
  }

 private:
  // pqxx escapes each field for the COPY text format; a null pointer is written as NULL.
  template <std::size_t... I>
  static auto fields(const Row& row, std::index_sequence<I...>) {
    return std::make_tuple((row[I] ? row[I]->c_str() : static_cast<const char*>(nullptr))...);
  }

  std::string table_;
  std::array<const char*, N> columns_;
  std::vector<Row> rows_;
};

}  // namespace hub
