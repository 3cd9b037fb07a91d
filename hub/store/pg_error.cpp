#include "hub/store/pg_error.h"

#include <pqxx/pqxx>

#include <cctype>
#include <set>
#include <string_view>

#include "hub/common/masking.h"
#include "hub/store/pg_pool.h"

namespace hub {
namespace {

constexpr std::size_t kMaxMessageBytes = 300;

// Cuts at a UTF-8 character boundary.
std::string clip(std::string s) {
  if (s.size() <= kMaxMessageBytes) return s;
  std::size_t cut = kMaxMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "…";
}

std::string first_line(std::string_view what) {
  auto nl = what.find('\n');
  std::string_view line = what.substr(0, nl);
  for (std::string_view prefix : {"ERROR:", "FATAL:", "PANIC:"})
    if (line.substr(0, prefix.size()) == prefix) {
      line.remove_prefix(prefix.size());
      break;
    }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return std::string(line);
}

// The word before position `at` (skipping spaces), lower case.
std::string word_before(const std::string& s, std::size_t at) {
  std::size_t end = at;
  while (end > 0 && s[end - 1] == ' ') --end;
  std::size_t start = end;
  while (start > 0 && (std::isalnum(static_cast<unsigned char>(s[start - 1])) || s[start - 1] == '_')) --start;
  std::string w = s.substr(start, end - start);
  for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

// Quoted text is a value unless a word naming a database object comes just before it.
std::string mask_quoted_values(const std::string& s) {
  static const std::set<std::string> kNames = {"relation", "table",    "column",   "constraint", "index",
                                               "type",     "schema",   "function", "trigger",    "sequence",
                                               "encoding", "database", "role",     "view",       "operator"};
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto open = s.find('"', i);
    if (open == std::string::npos) break;
    auto close = s.find('"', open + 1);
    if (close == std::string::npos) close = s.size();
    out.append(s, i, open + 1 - i);
    if (kNames.count(word_before(s, open)))
      out.append(s, open + 1, close - open - 1);
    else
      out += "…";
    if (close < s.size()) out += '"';
    i = close + 1;
  }
  if (i < s.size()) out.append(s, i, std::string::npos);
  return out;
}

}  // namespace

DbErrorKind db_error_kind(const std::string& state) {
  if (state.size() != 5) return DbErrorKind::kOther;
  std::string_view cls = std::string_view(state).substr(0, 2);
  if (cls == "08" || state == "57P01" || state == "57P02" || state == "57P03") return DbErrorKind::kConnection;
  if (cls == "40" || cls == "53" || state == "23505" || state == "55P03" || state == "57014")
    return DbErrorKind::kTransient;
  if (cls == "22" || cls == "23" || cls == "54") return DbErrorKind::kRecord;
  return DbErrorKind::kOther;
}

std::string safe_db_message(const std::string& what) {
  return clip(mask_personal_ids_in_text(mask_quoted_values(first_line(what))));
}

DbError describe_db_error(const std::exception& e) {
  DbError d;
  if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    d.sqlstate = sql->sqlstate();
    d.kind = db_error_kind(d.sqlstate);
  } else if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) {
    d.sqlstate = "40P01";
    d.kind = DbErrorKind::kTransient;
  } else if (dynamic_cast<const pqxx::serialization_failure*>(&e)) {
    d.sqlstate = "40001";
    d.kind = DbErrorKind::kTransient;
  } else if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e) ||
             dynamic_cast<const pqxx::broken_connection*>(&e) || dynamic_cast<const pqxx::in_doubt_error*>(&e) ||
             dynamic_cast<const DatabaseUnavailable*>(&e)) {
    d.kind = DbErrorKind::kConnection;
  } else if (dynamic_cast<const pqxx::transaction_rollback*>(&e)) {
    d.sqlstate = "40000";
    d.kind = DbErrorKind::kTransient;
  } else if (dynamic_cast<const pqxx::failure*>(&e)) {
    d.kind = DbErrorKind::kOther;
  } else {
    return d;
  }
  d.message = safe_db_message(e.what());
  return d;
}

std::string safe_error_text(const std::exception& e) {
  auto d = describe_db_error(e);
  if (d.kind == DbErrorKind::kNone) return clip(mask_personal_ids_in_text(first_line(e.what())));
  return d.sqlstate.empty() ? d.message : "SQLSTATE " + d.sqlstate + ": " + d.message;
}

}  // namespace hub
