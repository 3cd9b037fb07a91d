#include "hub/http/reports_handlers.h"

#include <algorithm>

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/metrics_handlers.h"
#include "hub/http/problem.h"
#include "hub/mapping/unit_history.h"
#include "hub/reports/quality.h"

namespace hub {
namespace {

using reports::UnitRef;

// Admins read everything; reports:read readers their units. Returns whether the caller is admin.
bool authorize(const HttpRequest& req) {
  const auto& scopes = req.principal->scopes;
  if (has_scope(scopes, "admin")) return true;
  if (has_scope(scopes, kReportsScope)) return false;
  fail(ProblemKind::kForbidden, "auth.scope",
       "partner '" + req.principal->name + "' lacks the scope 'admin' or '" + std::string(kReportsScope) + "' needed here");
}

// The caller's units: an admin's are ignored (every unit), as the records API does.
std::vector<std::string> caller_units(const HttpRequest& req, bool admin) {
  return admin ? std::vector<std::string>{} : req.principal->units;
}

UnitRef unit_param(HttpRequest& req, const std::vector<std::string>& units) {
  std::string text = req.query.count("unit") ? req.query["unit"] : "";
  if (text.empty() && units.size() == 1) text = units[0];
  if (text.empty() && !units.empty())
    fail(ProblemKind::kBadRequest, "quality.unit",
         "partner '" + req.principal->name + "' has several units: say which one with unit=", "unit");
  auto u = reports::parse_unit(text);
  if (!u) fail(ProblemKind::kBadRequest, u.error().code, u.error().message, "unit");
  return *u;
}

// The school level asked for. A console account limited to some levels (hub/auth/accounts.h)
// reads those only: its one level by default, another level refused.
std::string level_param(HttpRequest& req) {
  std::string level = req.query.count("level") ? req.query["level"] : "";
  const auto& levels = req.principal->levels;
  if (levels.empty()) return level;
  if (level.empty() && levels.size() == 1) return levels[0];
  if (std::find(levels.begin(), levels.end(), level) == levels.end())
    fail(ProblemKind::kForbidden, "quality.level_forbidden",
         "'" + req.principal->name + "' may read reports of school levels " + [&] {
           std::string all;
           for (const auto& l : levels) all += (all.empty() ? "" : ", ") + l;
           return all;
         }() + " only: say which with level=", "level");
  return level;
}

int int_param(HttpRequest& req, const std::string& name, int fallback, int lo, int hi) {
  if (!req.query.count(name)) return fallback;
  const std::string& v = req.query[name];
  try {
    std::size_t pos = 0;
    int n = std::stoi(v, &pos);
    if (pos == v.size() && !v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && n >= lo && n <= hi) return n;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kBadRequest, "request.parameter",
       name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi), name);
}

// as_of: a day up to today (Vietnam time, the reports' day); default today.
std::pair<Date, bool> as_of_param(HttpRequest& req, Components& c) {
  std::string today = c.pg.with_transaction([](pqxx::work& tx) {
    return std::string(tx.exec1("select (now() at time zone 'Asia/Ho_Chi_Minh')::date::text")[0].c_str());
  });
  Date t = *Date::parse_iso(today);
  if (!req.query.count("as_of") || req.query["as_of"].empty()) return {t, true};
  auto d = Date::parse_iso(req.query["as_of"]);
  if (!d) fail(ProblemKind::kBadRequest, "quality.as_of", "as_of must be a date YYYY-MM-DD", "as_of");
  if (*d > t) fail(ProblemKind::kBadRequest, "quality.as_of", "as_of " + d->iso() + " is after today (" + today + ")", "as_of");
  return {*d, *d == t};
}

// units: the units of the breakdown, as_of (default) or current.
catalog::UnitsMode units_param(HttpRequest& req) {
  if (!req.query.count("units") || req.query["units"].empty()) return catalog::UnitsMode::kAsOf;
  if (auto m = catalog::parse_units_mode(req.query["units"])) return *m;
  fail(ProblemKind::kBadRequest, "report.units", "units must be as_of or current, not '" + req.query["units"] + "'",
       "units");
}

std::string format_param(HttpRequest& req) {
  std::string f = req.query.count("format") ? req.query["format"] : "json";
  if (f != "json" && f != "csv" && f != "xlsx")
    fail(ProblemKind::kBadRequest, "quality.format", "format must be json, csv or xlsx", "format");
  return f;
}

[[noreturn]] void fail_with(const Error& e) {
  ProblemKind kind = ProblemKind::kBadRequest;
  if (e.code == "quality.unit_unknown") kind = ProblemKind::kNotFound;
  if (e.code.rfind("export.", 0) == 0) kind = ProblemKind::kInternal;
  fail(kind, e.code, e.message, e.path);
}

// CSV holds one table: `csv_table`. The workbook holds them all, one sheet each.
HttpResponse file_response(const std::string& format, const std::vector<reports::Table>& tables,
                           const reports::Table& csv_table, const std::string& name) {
  HttpResponse r;
  if (format == "csv") {
    auto csv = reports::to_csv(csv_table);
    if (!csv) fail_with(csv.error());
    r.content_type = reports::kCsvMediaType;
    r.body = std::move(*csv);
    r.headers["Content-Disposition"] = "attachment; filename=\"" + name + ".csv\"";
  } else {
    auto xlsx = reports::to_xlsx(tables);
    if (!xlsx) fail_with(xlsx.error());
    r.content_type = reports::kXlsxMediaType;
    r.body = std::move(*xlsx);
    r.headers["Content-Disposition"] = "attachment; filename=\"" + name + ".xlsx\"";
  }
  r.headers["Cache-Control"] = "no-store";
  return r;
}

std::string file_name(const std::string& what, const UnitRef& unit, const Date& as_of) {
  std::string n = what + "-" + (unit.kind == UnitRef::Kind::kAll ? "all" : unit.code) + "-" + as_of.iso();
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
  return n;
}

}  // namespace

void register_reports_routes(Router& router, Components& c) {
  register_metrics_routes(router, c);
  router.add({"GET", "/v1/admin/quality", true, [&c](HttpRequest& req) {
                const bool admin = authorize(req);
                const auto units = caller_units(req, admin);
                reports::QualityParams p;
                p.unit = unit_param(req, units);
                p.level = level_param(req);
                std::tie(p.as_of, p.as_of_today) = as_of_param(req, c);
                p.window_days = int_param(req, "window_days", c.config.reports.window_days, 1, 366);
                p.silent_days = int_param(req, "silent_days", c.config.reports.silent_days, 1, 366);
                p.freshness_days = c.config.reports.freshness_days;
                p.units_mode = units_param(req);
                const std::string format = format_param(req);
                auto snap = c.mappings.current();
                auto report = c.pg.with_transaction([&](pqxx::work& tx) -> Result<reports::QualityReport> {
                  if (!reports::unit_within(units, p.unit, reports::load_schools(tx), *snap->catalogs))
                    fail(ProblemKind::kForbidden, "quality.unit_forbidden",
                         "partner '" + req.principal->name + "' may read reports of its own units only, not of " +
                             p.unit.text(), "unit");
                  return reports::quality_report(tx, *snap, p, units);
                });
                if (!report) fail_with(report.error());
                if (format == "json") return HttpResponse{200, "application/json", reports::to_json(*report), {}};
                auto tables = reports::to_tables(*report);
                // The CSV: the unit's own rows, then those of each unit one level down.
                reports::Table csv = tables[0];
                if (!report->children.empty())
                  csv.rows.insert(csv.rows.end(), tables[1].rows.begin(), tables[1].rows.end());
                return file_response(format, tables, csv, file_name("chat-luong", p.unit, p.as_of));
              }});

  router.add({"GET", "/v1/admin/quality/records", true, [&c](HttpRequest& req) {
                const bool admin = authorize(req);
                const auto units = caller_units(req, admin);
                reports::DrilldownParams p;
                p.unit = unit_param(req, units);
                p.level = level_param(req);
                p.entity = req.query.count("entity") ? req.query["entity"] : "student";
                p.measure = req.query.count("measure") ? req.query["measure"] : "";
                bool today = true;
                std::tie(p.as_of, today) = as_of_param(req, c);
                if (!today)
                  fail(ProblemKind::kBadRequest, "quality.as_of",
                       "the records behind a measure are listed as they are today; leave as_of out", "as_of");
                p.window_days = int_param(req, "window_days", c.config.reports.window_days, 1, 366);
                p.freshness_days = c.config.reports.freshness_days;
                p.limit = int_param(req, "limit", std::min(100, c.config.reports.max_rows), 1, c.config.reports.max_rows);
                p.offset = int_param(req, "offset", 0, 0, 100000000);
                p.show_personal_ids = admin;
                const std::string format = format_param(req);
                auto snap = c.mappings.current();
                auto d = c.pg.with_transaction([&](pqxx::work& tx) -> Result<reports::Drilldown> {
                  if (!reports::unit_within(units, p.unit, reports::load_schools(tx), *snap->catalogs))
                    fail(ProblemKind::kForbidden, "quality.unit_forbidden",
                         "partner '" + req.principal->name + "' may read reports of its own units only, not of " +
                             p.unit.text(), "unit");
                  auto found = reports::drilldown(tx, *snap, p, units);
                  if (!found) return found;
                  // Names, birth dates and personal IDs were read: say who, what and how many.
                  json::JsonWriter w;
                  w.begin_object().kv("entity", p.entity).kv("measure", p.measure).kv("records", static_cast<long long>(found->rows.size()))
                      .kv("total", found->total).kv("offset", p.offset).kv("format", format)
                      .kv("personal_ids", admin ? "clear" : "masked").kv("request_id", req.request_id).end_object();
                  AuditLog::record(tx, req.principal->name, "quality.records.read", p.unit.text(), req.client, w.str());
                  return found;
                });
                if (!d) fail_with(d.error());
                if (format == "json") return HttpResponse{200, "application/json", reports::to_json(*d, p), {{"Cache-Control", "no-store"}}};
                auto table = reports::to_table(*d);
                return file_response(format, {table}, table, file_name("ho-so", p.unit, p.as_of));
              }});
}

}  // namespace hub
