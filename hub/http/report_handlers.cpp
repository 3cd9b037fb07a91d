// Handlers of /v1/admin/reports/{emis, frozen, open-data}: the HTTP twin of `hubctl report`.
// A partner limited to units (province:, commune:, school:) gets the figures of its units only;
// partners without units (the department's ops tools) get every unit.

#include "hub/http/report_handlers.h"

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"
#include "hub/reports/emis.h"
#include "hub/reports/frozen.h"
#include "hub/reports/open_data.h"
#include "hub/store/audit_log.h"

namespace hub {
namespace {

using namespace hub::reports;

constexpr int kDefaultListLimit = 100;
constexpr int kMaxListLimit = 1000;

// The caller may use reports with this scope (admins may always).
void require_report_scope(const HttpRequest& req, const std::string& scope) {
  if (req.principal && (has_scope(req.principal->scopes, "admin") || has_scope(req.principal->scopes, scope))) return;
  req.require_scope(scope);  // throws auth.scope naming the missing scope
}

// The units whose figures the caller may see: an admin's units are ignored (every unit), as the
// records API and the quality reports do; anyone else's are its partner units.
std::vector<std::string> caller_units(const HttpRequest& req) {
  if (has_scope(req.principal->scopes, "admin")) return {};
  return req.principal->units;
}

[[noreturn]] void fail_with(const Error& e, ProblemKind kind = ProblemKind::kBadRequest) {
  fail(kind, e.code, e.message, e.path);
}

std::string param(HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? "" : it->second;
}

EmisParams emis_params(HttpRequest& req, const std::string& as_of, const std::string& by, const std::string& level,
                       const std::string& units, const mapping::Snapshot& snap) {
  EmisParams p;
  auto date = Date::parse_iso(as_of);
  if (!date)
    fail(ProblemKind::kBadRequest, "request.parameter", "as_of must be a date YYYY-MM-DD (e.g. 2025-09-30)", "as_of");
  p.as_of = *date;
  auto b = parse_by(by);
  if (!b) fail_with(b.error());
  p.by = *b;
  if (!level.empty()) {
    auto code = level_code(*snap.catalogs, level);
    if (!code) fail_with(code.error());
    p.level = *code;
  }
  if (!units.empty()) {
    auto mode = parse_units(units);
    if (!mode) fail_with(mode.error());
    p.units_mode = *mode;
  }
  p.units = caller_units(req);
  return p;
}

std::string format_param(HttpRequest& req, std::initializer_list<const char*> allowed) {
  std::string f = param(req, "format");
  if (f.empty()) return *allowed.begin();
  std::string list;
  for (const char* a : allowed) {
    if (f == a) return f;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  fail(ProblemKind::kBadRequest, "request.parameter", "format must be one of " + list, "format");
}

// Runs `fn` in a repeatable-read transaction (the report's queries see one state of the store),
// turning a report that ran past its statement timeout into a 503.
template <class Fn>
auto in_report_transaction(Components& c, Fn&& fn) {
  try {
    return c.pg.with_transaction([&](pqxx::work& tx) {
      tx.exec("set transaction isolation level repeatable read");
      return fn(tx);
    });
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() != "57014") throw;  // query_canceled: the statement timeout
    fail(ProblemKind::kUnavailable, "report.timeout",
         "the report took longer than its time limit; retry later, or ask for one level or fewer units");
  }
}

void audit_read(pqxx::work& tx, const HttpRequest& req, const std::string& action, const std::string& target,
                const EmisReport& r, const std::string& format) {
  json::JsonWriter d;
  d.begin_object().kv("as_of", r.as_of.iso()).kv("by", by_name(r.by)).kv("level", r.level)
      .kv("units_mode", units_name(r.units_mode)).kv("format", format)
      .key("units").strings(caller_units(req)).kv("rows", static_cast<long long>(r.rows.size())).end_object();
  AuditLog::record(tx, req.principal->name, action, target, req.client, d.str());
}

HttpResponse report_response(const EmisReport& r, const std::string& format, const std::string& name) {
  HttpResponse res;
  if (format == "json") {
    res.body = to_json(r);
    return res;
  }
  auto bytes = format == "csv" ? emis_csv(r) : emis_xlsx(r);
  if (!bytes) fail_with(bytes.error(), ProblemKind::kInternal);
  res.body = std::move(*bytes);
  res.content_type = format == "csv" ? kCsvMediaType : kXlsxMediaType;
  res.headers["Content-Disposition"] = "attachment; filename=\"" + name + "." + format + "\"";
  return res;
}

long long id_param(HttpRequest& req) {
  const std::string& v = req.params["id"];
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    fail(ProblemKind::kNotFound, "report.not_found", "no frozen report " + v);
  return std::stoll(v);
}

// The frozen report with the rows the caller may see; 404 when it may see none (a report of
// other units is not acknowledged to exist).
std::pair<FrozenMeta, EmisReport> frozen_for(pqxx::work& tx, HttpRequest& req, long long id) {
  auto f = load_frozen(tx, id);
  std::optional<EmisReport> figures;
  if (f) {
    auto parsed = emis_from_json(f->figures);
    if (!parsed) throw std::runtime_error("frozen report " + std::to_string(id) + " is unreadable: " + parsed.error().message);
    figures = std::move(*parsed);
  }
  if (!f || !frozen_visible(*figures, caller_units(req)))
    fail(ProblemKind::kNotFound, "report.not_found", "no frozen report " + std::to_string(id));
  return {f->meta, visible_part(*figures, caller_units(req))};
}

}  // namespace

void register_report_routes(Router& router, Components& c) {
  router.add({"GET", "/v1/admin/reports/emis", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsScope);
                auto snap = c.mappings.current();
                auto p = emis_params(req, param(req, "as_of"), param(req, "by"), param(req, "level"), param(req, "units"), *snap);
                std::string format = format_param(req, {"json", "csv", "xlsx"});
                auto report = in_report_transaction(c, [&](pqxx::work& tx) {
                  auto r = compute_emis(tx, *snap->catalogs, p);
                  if (!r) fail_with(r.error(), ProblemKind::kInternal);
                  audit_read(tx, req, "report.emis", "emis:" + p.as_of.iso(), *r, format);
                  return std::move(*r);
                });
                return report_response(report, format, "emis-" + p.as_of.iso() + "-" + by_name(p.by));
              }});

  router.add({"POST", "/v1/admin/reports/emis:freeze", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsFreezeScope);
                auto doc = parse_json_body(req);
                if (!doc.IsObject())
                  fail(ProblemKind::kUnprocessable, "request.not_object", "the body must be a JSON object", "$");
                auto field = [&](const char* name, bool required) {
                  auto m = doc.FindMember(name);
                  if (m == doc.MemberEnd() || m->value.IsNull()) {
                    if (required)
                      fail(ProblemKind::kUnprocessable, "request.field_missing", std::string("'") + name + "' is required",
                           std::string("$.") + name);
                    return std::string();
                  }
                  if (!m->value.IsString())
                    fail(ProblemKind::kUnprocessable, "request.field_type", std::string("'") + name + "' must be a string",
                         std::string("$.") + name);
                  return std::string(m->value.GetString(), m->value.GetStringLength());
                };
                auto snap = c.mappings.current();
                std::string as_of = field("as_of", true), by = field("by", true), level = field("level", false),
                            units = field("units", false), label = field("label", false);
                EmisParams p;
                try {
                  p = emis_params(req, as_of, by, level, units, *snap);
                } catch (ProblemError& e) {  // the body's fields, not query parameters
                  e.problem.kind = ProblemKind::kUnprocessable;
                  e.problem.path = "$." + e.problem.path;
                  throw;
                }
                if (auto s = check_label(label); !s) {
                  Error e = s.error();
                  e.path = "$.label";
                  fail_with(e, ProblemKind::kUnprocessable);
                }
                auto meta = in_report_transaction(c, [&](pqxx::work& tx) {
                  auto r = compute_emis(tx, *snap->catalogs, p);
                  if (!r) fail_with(r.error(), ProblemKind::kInternal);
                  return freeze(tx, *r, change_position(tx), label, req.principal->name, req.client);
                });
                json::JsonWriter w;
                write_meta(w, meta);
                HttpResponse res{201, "application/json", w.str(), {}};
                res.headers["Location"] = "/v1/admin/reports/frozen/" + std::to_string(meta.id);
                return res;
              }});

  router.add({"GET", "/v1/admin/reports/frozen", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsScope);
                int limit = kDefaultListLimit;
                if (std::string v = param(req, "limit"); !v.empty()) {
                  if (v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
                      std::stoi(v) > kMaxListLimit)
                    fail(ProblemKind::kBadRequest, "request.parameter",
                         "limit must be a whole number from 1 to " + std::to_string(kMaxListLimit), "limit");
                  limit = std::stoi(v);
                }
                std::string body = c.pg.with_transaction([&](pqxx::work& tx) {
                  json::JsonWriter w;
                  w.begin_object().key("frozen_reports").begin_array();
                  for (const auto& m : list_frozen(tx, limit)) {
                    if (!caller_units(req).empty()) {
                      auto f = load_frozen(tx, m.id);
                      auto figures = f ? emis_from_json(f->figures) : Result<EmisReport>(make_error("report.malformed", ""));
                      if (!figures || !frozen_visible(*figures, caller_units(req))) continue;
                    }
                    write_meta(w, m);
                  }
                  w.end_array().end_object();
                  return w.str();
                });
                return HttpResponse{200, "application/json", body, {}};
              }});

  // Registered before /frozen/{id}: that pattern would take "7:diff" as an id.
  router.add({"GET", "/v1/admin/reports/frozen/{id}:diff", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsScope);
                long long id = id_param(req);
                std::string format = format_param(req, {"json", "csv"});
                auto snap = c.mappings.current();
                HttpResponse res;
                in_report_transaction(c, [&](pqxx::work& tx) {
                  auto [meta, frozen] = frozen_for(tx, req, id);
                  // The same parameters and units as the frozen report, then what the caller may see.
                  EmisParams p{frozen.as_of, frozen.by, frozen.level, frozen.units, frozen.units_mode};
                  auto now = compute_emis(tx, *snap->catalogs, p);
                  if (!now) fail_with(now.error(), ProblemKind::kInternal);
                  auto d = diff(frozen, visible_part(*now, caller_units(req)));
                  audit_read(tx, req, "report.frozen_diff", "frozen_report:" + std::to_string(id), frozen, format);
                  if (format == "json") {
                    res.body = diff_json(meta, d, change_position(tx), changes_since(tx, meta.change_seq));
                    return 0;
                  }
                  auto csv = to_csv(diff_table(d));
                  if (!csv) fail_with(csv.error(), ProblemKind::kInternal);
                  res.body = std::move(*csv);
                  res.content_type = kCsvMediaType;
                  return 0;
                });
                return res;
              }});

  router.add({"GET", "/v1/admin/reports/frozen/{id}", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsScope);
                long long id = id_param(req);
                std::string format = format_param(req, {"json", "csv", "xlsx"});
                std::string stored;
                auto [meta, figures] = c.pg.with_transaction([&](pqxx::work& tx) {
                  auto out = frozen_for(tx, req, id);
                  if (caller_units(req).empty()) stored = load_frozen(tx, id)->figures;
                  audit_read(tx, req, "report.frozen_show", "frozen_report:" + std::to_string(id), out.second, format);
                  return out;
                });
                HttpResponse res = report_response(figures, format, "emis-frozen-" + std::to_string(id));
                // Unrestricted callers get the submission's own bytes.
                if (format == "json" && !stored.empty()) res.body = stored;
                res.headers["X-Frozen-Change-Seq"] = std::to_string(meta.change_seq);
                res.headers["X-Figures-Sha256"] = meta.figures_sha256;
                return res;
              }});

  router.add({"GET", "/v1/admin/reports/open-data", true, [&c](HttpRequest& req) {
                require_report_scope(req, kReportsScope);
                auto snap = c.mappings.current();
                auto p = emis_params(req, param(req, "as_of"), param(req, "by"), param(req, "level"), param(req, "units"), *snap);
                std::string format = format_param(req, {"json", "csv", "dictionary"});
                auto report = in_report_transaction(c, [&](pqxx::work& tx) {
                  auto r = compute_emis(tx, *snap->catalogs, p);
                  if (!r) fail_with(r.error(), ProblemKind::kInternal);
                  audit_read(tx, req, "report.open_data", "emis:" + p.as_of.iso(), *r, format);
                  return std::move(*r);
                });
                auto open = make_open_data(report);
                HttpResponse res;
                if (format == "json") {
                  res.body = open_data_json(open);
                } else if (format == "dictionary") {
                  res.body = dictionary_json(open);
                } else {
                  auto csv = open_data_csv(open);
                  if (!csv) fail_with(csv.error(), ProblemKind::kInternal);
                  res.body = std::move(*csv);
                  res.content_type = kCsvMediaType;
                }
                return res;
              }});
}

}  // namespace hub
