#pragma once
// One row written with COPY ... FROM STDIN (FORMAT binary), its large values sent from the
// caller's memory a slice at a time.
//
// A value passed as a statement parameter is copied twice before it reaches PostgreSQL: pqxx 6
// copies a binarystring into its own buffer, and libpq builds the whole Bind message in its send
// buffer, which grows to the value's size and never shrinks. For a push near the body limit
// (32 MB) those are two of the three copies of the body alive while it is stored
// (docs/benchmarks.md, "Large documents"). Here a value of `slice_bytes` or more is never copied
// whole: each slice goes through libpq's send buffer on its own, so the buffer stays near one
// slice, and the server still receives one row, in one statement of the caller's transaction.
//
// Binary format means each value is given as PostgreSQL's binary form of the column's type:
// int8/int4 in network order, text and bytea as their bytes; for other types (timestamptz ...)
// let PostgreSQL encode the value (`timestamptz_send(now())`) and pass its bytes to binary().
//
// Errors: PostgreSQL's refusal throws pqxx::sql_error with its SQLSTATE (describe_db_error reads
// it as for any statement), a lost connection pqxx::broken_connection. Either way the caller's
// transaction is left aborted: nothing of the row is stored. Not thread-safe (one transaction).

#include <pqxx/pqxx>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

class CopyBinaryRow {
 public:
  static constexpr std::size_t kSliceBytes = 1u << 20;

  CopyBinaryRow(std::string table, std::vector<std::string> columns, std::size_t slice_bytes = kSliceBytes);

  // The row's values, in the order of `columns`.
  CopyBinaryRow& int8(long long v);
  CopyBinaryRow& int4(int v);
  CopyBinaryRow& null();
  // text, bytea, or any value already in binary form. Large values are not copied: `v` must
  // stay alive until write() returns.
  CopyBinaryRow& binary(std::string_view v);
  CopyBinaryRow& text(std::string_view v) { return binary(v); }

  // Sends the row in one COPY on the transaction's connection. Throws (see above) when it is not
  // stored, or when the values given are not one per column.
  void write(pqxx::dbtransaction& tx) const;

 private:
  struct Piece {
    std::string small;      // encoded values and their length words, sent as they are
    std::string_view large; // then this value, sent in slices straight from the caller's memory
  };
  void length_word(int n);

  std::string table_;
  std::vector<std::string> columns_;
  std::size_t slice_bytes_;
  std::vector<Piece> pieces_;
  std::size_t values_ = 0;
};

}  // namespace hub
