// hubctl quality: the quality and progress report of a unit (the same as GET /v1/admin/quality),
// the records behind one measure, and a rebuild of the facts the reports read. docs/reports.md.

#include <fstream>
#include <iomanip>
#include <iostream>

#include "hub/common/json.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/reports/quality.h"
#include "hub/store/audit_log.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

std::shared_ptr<mapping::Snapshot> snapshot(CliContext& ctx) {
  auto loaded = mapping::load_context(ctx.config().mappings.dir);
  if (!loaded) throw CommandFailed(kExitFailed, "cannot load the catalogs and schemas: " + loaded.error().message);
  auto s = std::make_shared<mapping::Snapshot>();
  s->catalogs = loaded->catalogs;
  s->schemas = loaded->schemas;
  return s;
}

reports::UnitRef unit_of(const std::string& text) {
  auto u = reports::parse_unit(text);
  if (!u) throw CommandFailed(kExitUsage, u.error().message);
  return *u;
}

std::pair<Date, bool> as_of_of(CliContext& ctx, const std::string& text) {
  std::string today = ctx.pg().with_transaction([](pqxx::work& tx) {
    return std::string(tx.exec1("select (now() at time zone 'Asia/Ho_Chi_Minh')::date::text")[0].c_str());
  });
  Date t = *Date::parse_iso(today);
  if (text.empty()) return {t, true};
  auto d = Date::parse_iso(text);
  if (!d || *d > t) throw CommandFailed(kExitUsage, "--as-of must be a date YYYY-MM-DD up to today, not '" + text + "'");
  return {*d, *d == t};
}

// Writes a file form of the tables to `out` ("-" or empty: stdout).
void write_file(const std::string& format, const std::vector<reports::Table>& tables, const reports::Table& csv_table,
                const std::string& out) {
  Result<std::string> bytes = format == "csv" ? reports::to_csv(csv_table) : reports::to_xlsx(tables);
  if (!bytes) throw CommandFailed(kExitFailed, bytes.error().message);
  if (out.empty() || out == "-") {
    std::cout << *bytes;
    return;
  }
  std::ofstream f(out, std::ios::binary);
  f << *bytes;
  if (!f) throw CommandFailed(kExitFailed, "cannot write " + out);
  std::cerr << "wrote " << out << " (" << bytes->size() << " bytes)\n";
}

std::string percent(long long part, long long whole) {
  if (whole <= 0) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100.0 * static_cast<double>(part) / static_cast<double>(whole) << "%";
  return s.str();
}

void print_text(const reports::QualityReport& r) {
  std::cout << "quality of " << r.params.unit.text() << (r.total.name.empty() ? "" : " (" + r.total.name + ")")
            << " as of " << r.params.as_of.iso() << (r.params.level.empty() ? "" : ", level " + r.params.level)
            << ", units " << catalog::units_mode_name(r.params.units_mode) << "\n";
  auto line = [](const std::string& label, const reports::GroupMeasures& g) {
    std::cout << std::left << std::setw(28) << label.substr(0, 27) << std::right << std::setw(7) << g.schools
              << std::setw(10) << g.students.records << std::setw(9) << percent(g.students.pid_present, g.students.records)
              << std::setw(10) << percent(g.students.pid_verified, g.students.records) << std::setw(8) << g.staff.records
              << std::setw(9) << percent(g.staff.pid_verified, g.staff.records) << std::setw(8)
              << g.students.review_open + g.staff.review_open << std::setw(8) << g.students.with_conflicts + g.staff.with_conflicts
              << std::setw(6) << g.students.late + g.staff.late << std::setw(8) << g.silent_schools << "\n";
  };
  std::cout << std::left << std::setw(28) << "unit" << std::right << std::setw(7) << "schools" << std::setw(10)
            << "students" << std::setw(9) << "with ID" << std::setw(10) << "verified" << std::setw(8) << "staff"
            << std::setw(9) << "verified" << std::setw(8) << "review" << std::setw(8) << "confl." << std::setw(6) << "late"
            << std::setw(8) << "silent" << "\n";
  line(r.total.unit, r.total);
  for (const auto& c : r.children) line("  " + c.unit, c);
  for (const auto& p : r.partners)
    if (p.code.empty()) std::cout << "partner " << p.partner << ": " << p.rejected << " rejected, " << p.pending << " pending\n";
}

}  // namespace

void add_quality_commands(CLI::App& app, CliContext& ctx) {
  auto* q = app.add_subcommand("quality", "quality and progress of the data per province, commune, school and level");
  q->require_subcommand(1);
  struct Opts {
    std::string unit, level, as_of, format = "text", out, entity = "student", measure, units = "as_of";
    int window_days = 0, silent_days = 0, limit = 100, offset = 0;
    bool show_ids = false;
  };
  auto o = std::make_shared<Opts>();
  {
    auto* cmd = q->add_subcommand("report", "the measures of a unit and of each unit one level down");
    cmd->add_option("--unit", o->unit, "province:<code>, commune:<code>, school:<code> or all (default all)");
    cmd->add_option("--level", o->level, "only schools of this school_level code (01..05)");
    cmd->add_option("--as-of", o->as_of, "the day the figures are for (default today)");
    cmd->add_option("--window-days", o->window_days, "days before as-of for freshness and rejections (default reports.window_days)");
    cmd->add_option("--silent-days", o->silent_days, "a school silent this long is listed (default reports.silent_days)");
    cmd->add_option("--format", o->format, "text, csv or xlsx (--json for JSON)")->check(CLI::IsMember({"text", "csv", "xlsx"}));
    cmd->add_option("--out", o->out, "file for csv and xlsx (default stdout)");
    cmd->add_option("--units", o->units, "units of the breakdown: those of --as-of (as_of, default) or today's (current)")
        ->check(CLI::IsMember({"as_of", "current"}));
    cmd->callback([&ctx, o] {
      auto snap = snapshot(ctx);
      reports::QualityParams p;
      p.units_mode = *catalog::parse_units_mode(o->units);
      p.unit = unit_of(o->unit);
      p.level = o->level;
      std::tie(p.as_of, p.as_of_today) = as_of_of(ctx, o->as_of);
      p.window_days = o->window_days > 0 ? o->window_days : ctx.config().reports.window_days;
      p.silent_days = o->silent_days > 0 ? o->silent_days : ctx.config().reports.silent_days;
      p.freshness_days = ctx.config().reports.freshness_days;
      auto r = ctx.pg().with_transaction([&](pqxx::work& tx) { return reports::quality_report(tx, *snap, p, {}); });
      if (!r) throw CommandFailed(r.error().code == "quality.unit_unknown" ? kExitFailed : kExitUsage, r.error().message);
      if (ctx.json_output) {
        std::cout << reports::to_json(*r) << "\n";
      } else if (o->format == "text") {
        print_text(*r);
      } else {
        auto tables = reports::to_tables(*r);
        reports::Table csv = tables[0];
        if (!r->children.empty()) csv.rows.insert(csv.rows.end(), tables[1].rows.begin(), tables[1].rows.end());
        write_file(o->format, tables, csv, o->out);
      }
    });
  }
  {
    auto* cmd = q->add_subcommand("records", "the records behind one measure (personal IDs masked unless asked)");
    cmd->add_option("--unit", o->unit, "province:<code>, commune:<code>, school:<code> or all")->required();
    cmd->add_option("--level", o->level, "only schools of this school_level code");
    cmd->add_option("--entity", o->entity, "student or staff")->check(CLI::IsMember({"student", "staff"}));
    cmd->add_option("--measure", o->measure,
                    "pid_absent, pid_malformed, pid_not_verified, pid_mismatch, pid_not_checked, late, review, "
                    "missing:<field>, conflict:<field>")->required();
    cmd->add_option("--limit", o->limit, "records per page (1..reports.max_rows)");
    cmd->add_option("--offset", o->offset, "records to skip");
    cmd->add_flag("--show-personal-ids", o->show_ids, "print personal IDs in clear (written to the audit log)");
    cmd->add_option("--format", o->format, "text, csv or xlsx (--json for JSON)")->check(CLI::IsMember({"text", "csv", "xlsx"}));
    cmd->add_option("--out", o->out, "file for csv and xlsx (default stdout)");
    cmd->callback([&ctx, o] {
      auto snap = snapshot(ctx);
      reports::DrilldownParams p;
      p.unit = unit_of(o->unit);
      p.level = o->level;
      p.entity = o->entity;
      p.measure = o->measure;
      bool today = true;
      std::tie(p.as_of, today) = as_of_of(ctx, "");
      p.window_days = ctx.config().reports.window_days;
      p.freshness_days = ctx.config().reports.freshness_days;
      if (o->limit < 1 || o->limit > ctx.config().reports.max_rows || o->offset < 0)
        throw CommandFailed(kExitUsage, "--limit must be 1.." + std::to_string(ctx.config().reports.max_rows) +
                                            " and --offset 0 or more");
      p.limit = o->limit;
      p.offset = o->offset;
      p.show_personal_ids = o->show_ids;
      auto d = ctx.pg().with_transaction([&](pqxx::work& tx) {
        auto found = reports::drilldown(tx, *snap, p, {});
        if (found) {
          json::JsonWriter w;
          w.begin_object().kv("entity", p.entity).kv("measure", p.measure)
              .kv("records", static_cast<long long>(found->rows.size())).kv("total", found->total)
              .kv("offset", p.offset).kv("format", ctx.json_output ? "json" : o->format)
              .kv("personal_ids", p.show_personal_ids ? "clear" : "masked").end_object();
          AuditLog::record(tx, ctx.actor_name(), "quality.records.read", p.unit.text(), ctx.host(), w.str());
        }
        return found;
      });
      if (!d) throw CommandFailed(kExitUsage, d.error().message);
      if (ctx.json_output) {
        std::cout << reports::to_json(*d, p) << "\n";
      } else if (o->format == "text") {
        for (const auto& r : d->rows)
          std::cout << r.school_code << "  " << r.full_name << "  " << r.birth_date << "  "
                    << (r.personal_id.empty() ? "-" : r.personal_id) << "  " << r.pid_status << "  " << r.detail << "\n";
        std::cout << d->rows.size() << " of " << d->total << " records\n";
      } else {
        auto t = reports::to_table(*d);
        write_file(o->format, {t}, t, o->out);
      }
    });
  }
  {
    auto* cmd = q->add_subcommand("rebuild", "rebuild the facts the reports read from the golden records");
    cmd->callback([&ctx] {
      auto snap = snapshot(ctx);
      long long n = ctx.pg().with_transaction([&](pqxx::work& tx) { return reports::rebuild_facts(tx, *snap); });
      std::cout << n << " records\n";
    });
  }
}

}  // namespace hub::cli
