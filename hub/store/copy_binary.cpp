#include "hub/store/copy_binary.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace hub {

namespace {

// pqxx 6 has no call that sends COPY data a piece at a time (stream_to and tablewriter take whole
// lines); its large objects reach the transaction's libpq connection through this protected
// accessor, which a derived class may call.
struct RawConnection : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& tx) { return pqxx::largeobject::raw_connection(tx); }
};

void put_big_endian(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// The first error among the results of the COPY, as pqxx would throw it; the results are read
// to the end so that the connection is ready for the transaction's next statement (its rollback).
void finish_results(PGconn* conn, const std::string& sql) {
  std::string message, sqlstate;
  bool failed = false;
  while (PGresult* r = PQgetResult(conn)) {
    const auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      // The COPY could not be ended: the connection is no use to the transaction any more.
      PQclear(r);
      throw pqxx::broken_connection("COPY left unfinished: " + std::string(PQerrorMessage(conn)));
    }
    if (status != PGRES_COMMAND_OK && !failed) {
      failed = true;
      message = PQresultErrorMessage(r);
      if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) sqlstate = s;
    }
    PQclear(r);
  }
  if (PQstatus(conn) == CONNECTION_BAD) throw pqxx::broken_connection(PQerrorMessage(conn));
  if (failed) throw pqxx::sql_error(message, sql, sqlstate.empty() ? nullptr : sqlstate.c_str());
}

}  // namespace

CopyBinaryRow::CopyBinaryRow(std::string table, std::vector<std::string> columns, std::size_t slice_bytes)
    : table_(std::move(table)), columns_(std::move(columns)), slice_bytes_(slice_bytes == 0 ? 1 : slice_bytes) {
  // The format's signature, flags (none) and header extension (none), then the row's field count.
  Piece first;
  first.small.assign("PGCOPY\n\377\r\n\0", 11);
  put_big_endian(first.small, 0, 4);
  put_big_endian(first.small, 0, 4);
  put_big_endian(first.small, columns_.size(), 2);
  pieces_.push_back(std::move(first));
}

void CopyBinaryRow::length_word(int n) {
  put_big_endian(pieces_.back().small, static_cast<std::uint32_t>(n), 4);
  ++values_;
}

CopyBinaryRow& CopyBinaryRow::int8(long long v) {
  length_word(8);
  put_big_endian(pieces_.back().small, static_cast<std::uint64_t>(v), 8);
  return *this;
}

CopyBinaryRow& CopyBinaryRow::int4(int v) {
  length_word(4);
  put_big_endian(pieces_.back().small, static_cast<std::uint32_t>(v), 4);
  return *this;
}

CopyBinaryRow& CopyBinaryRow::null() {
  length_word(-1);
  return *this;
}

CopyBinaryRow& CopyBinaryRow::binary(std::string_view v) {
  if (v.size() > 0x7fffffffu) throw std::length_error("CopyBinaryRow: a value over 2 GB");
  length_word(static_cast<int>(v.size()));
  if (v.size() < slice_bytes_) {
    pieces_.back().small.append(v);
  } else {
    pieces_.back().large = v;
    pieces_.emplace_back();
  }
  return *this;
}

void CopyBinaryRow::write(pqxx::dbtransaction& tx) const {
  if (values_ != columns_.size())
    throw std::logic_error("CopyBinaryRow: " + std::to_string(values_) + " values for the " +
                           std::to_string(columns_.size()) + " columns of " + table_);
  std::string sql = "copy " + tx.quote_name(table_) + " (";
  for (std::size_t i = 0; i < columns_.size(); ++i) sql += (i ? ", " : "") + tx.quote_name(columns_[i]);
  sql += ") from stdin (format binary)";

  PGconn* conn = RawConnection::of(tx);
  PGresult* started = PQexec(conn, sql.c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
  std::string refused = copying ? "" : PQresultErrorMessage(started);
  std::string sqlstate;
  if (const char* s = copying ? nullptr : PQresultErrorField(started, PG_DIAG_SQLSTATE)) sqlstate = s;
  PQclear(started);
  if (!copying) {
    if (PQstatus(conn) == CONNECTION_BAD) throw pqxx::broken_connection(PQerrorMessage(conn));
    throw pqxx::sql_error(refused, sql, sqlstate.empty() ? nullptr : sqlstate.c_str());
  }

  // PQputCopyData flushes what it holds before taking more than fits: its buffer stays near
  // one slice.
  bool sent = true;
  auto put = [&](const char* data, std::size_t n) {
    if (sent && n > 0 && PQputCopyData(conn, data, static_cast<int>(n)) != 1) sent = false;
  };
  for (const Piece& p : pieces_) {
    put(p.small.data(), p.small.size());
    for (std::size_t at = 0; at < p.large.size(); at += slice_bytes_)
      put(p.large.data() + at, std::min(slice_bytes_, p.large.size() - at));
  }
  const char trailer[2] = {'\xff', '\xff'};  // the end of the data: a field count of -1
  put(trailer, 2);
  // A send that failed ends the COPY with an error, so the server stores nothing of it.
  const int ended = PQputCopyEnd(conn, sent ? nullptr : "the row could not be sent");
  finish_results(conn, sql);
  if (ended != 1 || !sent)
    throw pqxx::broken_connection("COPY to " + table_ + " not sent: " + PQerrorMessage(conn));
}

}  // namespace hub
