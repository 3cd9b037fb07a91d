#pragma once
// What a database error means to code that retries work, and a description of it that is safe
// to log or to show a partner. PostgreSQL's error text may hold row data: the DETAIL ("Failing
// row contains (...)", "Key (...)=(...)"), the CONTEXT of a COPY (the whole line being copied)
// and values quoted in the primary message ('invalid input syntax for type date: "..."'). The
// description keeps the SQLSTATE and the primary message's first line with every quoted value
// replaced by "…" (quoted names of relations, columns, constraints ... are kept), personal IDs
// masked, at most 300 bytes. Pure functions, thread-safe.

#include <exception>
#include <string>

namespace hub {

enum class DbErrorKind {
  kNone,        // not a database error
  kConnection,  // PostgreSQL unreachable, the connection broke, or a commit's outcome is unknown
  kTransient,   // a concurrent writer or the server's state: deadlock, serialization failure,
                // unique violation between writers, lock or statement timeout, shutdown,
                // insufficient resources; the same work may succeed when tried again
  kRecord,      // PostgreSQL refuses the data of a row (SQLSTATE classes 22 and 23 other than
                // 23505, and 54): the same row fails the same way every time
  kOther,       // anything else (a schema or program error): retrying alone will not help
};

struct DbError {
  DbErrorKind kind = DbErrorKind::kNone;
  std::string sqlstate;  // "" when unknown
  std::string message;   // safe: no row data, personal IDs masked
};

DbError describe_db_error(const std::exception& e);
// DbErrorKind of a SQLSTATE ("" -> kOther).
DbErrorKind db_error_kind(const std::string& sqlstate);
// One line for logs: "SQLSTATE 23514: new row for relation \"x\" violates ..." for database
// errors, else the exception's text with personal IDs masked (at most 300 bytes).
std::string safe_error_text(const std::exception& e);
// The primary message of PostgreSQL error text, made safe as described above.
std::string safe_db_message(const std::string& what);

}  // namespace hub
