// hubctl report emis --as-of D --by commune|school [--level L] [--units as_of|current] [--format csv|xlsx|json] [--output FILE]
// hubctl report freeze --as-of D --by commune|school [--level L] [--units as_of|current] [--label TEXT]
// hubctl report frozen list [--limit N]
// hubctl report frozen show ID [--format json|csv|xlsx] [--output FILE]
// hubctl report frozen diff ID [--format table|json|csv]
// hubctl report open-data --as-of D --output-dir DIR [--by commune|school] [--level L] [--units as_of|current]
//
// The operator's view of the cut-off reports (hub/reports): every unit, as an admin token sees
// them. Reads and freezes are written to the audit log like the API's.

#include <fstream>
#include <iostream>
#include <filesystem>

#include "hub/common/json.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/reports/emis.h"
#include "hub/reports/frozen.h"
#include "hub/reports/open_data.h"
#include "hub/store/audit_log.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

using namespace hub::reports;

struct ReportArgs {
  std::string as_of, by, level, format, output, label, output_dir;
  std::string units = "as_of";
  long long id = 0;
  int limit = 50;
};

std::shared_ptr<const catalog::CatalogSet> catalogs(CliContext& ctx) {
  auto loaded = mapping::load_context(ctx.config().mappings.dir);
  if (!loaded) throw CommandFailed(kExitFailed, "cannot load the catalogs: " + loaded.error().message);
  return loaded->catalogs;
}

EmisParams params(const ReportArgs& a, const catalog::CatalogSet& cats) {
  EmisParams p;
  auto date = Date::parse_iso(a.as_of);
  if (!date) throw CommandFailed(kExitUsage, "--as-of must be a date YYYY-MM-DD, not '" + a.as_of + "'");
  p.as_of = *date;
  auto by = parse_by(a.by);
  if (!by) throw CommandFailed(kExitUsage, "--by must be commune or school, not '" + a.by + "'");
  p.by = *by;
  if (!a.level.empty()) {
    auto code = level_code(cats, a.level);
    if (!code) throw CommandFailed(kExitUsage, code.error().message);
    p.level = *code;
  }
  auto units = parse_units(a.units);
  if (!units) throw CommandFailed(kExitUsage, units.error().message);
  p.units_mode = *units;
  return p;
}

// Runs fn in a repeatable-read transaction: the report's queries see one state of the store.
template <class Fn>
auto in_report_transaction(CliContext& ctx, Fn&& fn) {
  return ctx.pg().with_transaction([&](pqxx::work& tx) {
    tx.exec("set transaction isolation level repeatable read");
    return fn(tx);
  });
}

EmisReport compute(pqxx::work& tx, const catalog::CatalogSet& cats, const EmisParams& p) {
  auto r = compute_emis(tx, cats, p);
  if (!r) throw CommandFailed(kExitFailed, r.error().message);
  return std::move(*r);
}

void audit(pqxx::work& tx, CliContext& ctx, const std::string& action, const std::string& target, const EmisReport& r,
           const std::string& format) {
  json::JsonWriter d;
  d.begin_object().kv("as_of", r.as_of.iso()).kv("by", by_name(r.by)).kv("level", r.level)
      .kv("units_mode", units_name(r.units_mode)).kv("format", format)
      .kv("rows", static_cast<long long>(r.rows.size())).end_object();
  AuditLog::record(tx, ctx.actor_name(), action, target, ctx.host(), d.str());
}

// Writes bytes to --output, or to standard output.
void emit(const std::string& bytes, const std::string& output) {
  if (output.empty() || output == "-") {
    std::cout << bytes;
    std::cout.flush();
    return;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) throw CommandFailed(kExitFailed, "cannot write " + output);
}

std::string report_bytes(const EmisReport& r, const std::string& format) {
  if (format == "json") return to_json(r) + "\n";
  auto bytes = format == "xlsx" ? emis_xlsx(r) : emis_csv(r);
  if (!bytes) throw CommandFailed(kExitFailed, bytes.error().message);
  return *bytes;
}

void add_report_options(CLI::App* cmd, ReportArgs& a) {
  cmd->add_option("--as-of", a.as_of, "cut-off date YYYY-MM-DD (30 September, 31 May)")->required();
  cmd->add_option("--by", a.by, "one row per commune or per school")->required()->check(CLI::IsMember({"commune", "school"}));
  cmd->add_option("--level", a.level, "only schools of this level: a school_level code or name (02, THCS ...)");
  cmd->add_option("--units", a.units,
                  "units of the report's date (as_of, default) or today's units, mapped forward through the 2025 crosswalk (current)")
      ->check(CLI::IsMember({"as_of", "current"}));
}

void print_meta(CliContext& ctx, const FrozenMeta& m) {
  if (ctx.json_output) {
    json::JsonWriter w;
    write_meta(w, m);
    std::cout << w.str() << "\n";
    return;
  }
  std::string units;
  for (const auto& u : m.units) units += (units.empty() ? "" : ",") + u;
  std::printf("%-6lld %-10s %-8s %-5s %-12s %10lld %-20s %-24s %s\n", m.id, m.as_of.c_str(), m.by.c_str(),
              m.level.empty() ? "-" : m.level.c_str(), units.empty() ? "all" : units.c_str(), m.change_seq,
              m.frozen_at.c_str(), m.frozen_by.c_str(), m.label.c_str());
}

FrozenReport frozen_or_fail(pqxx::work& tx, long long id) {
  auto f = load_frozen(tx, id);
  if (!f) throw CommandFailed(kExitFailed, "no frozen report " + std::to_string(id));
  return *f;
}

EmisReport figures_of(const FrozenReport& f) {
  auto r = emis_from_json(f.figures);
  if (!r) throw CommandFailed(kExitFailed, "frozen report " + std::to_string(f.meta.id) + " is unreadable: " + r.error().message);
  return std::move(*r);
}

void print_diff(const EmisDiff& d, const FrozenMeta& m, long long now_seq, long long changes) {
  std::cout << "frozen report " << m.id << " (" << m.label << "), as of " << m.as_of << " by " << m.by
            << ": frozen at change " << m.change_seq << ", now at change " << now_seq << " (" << changes
            << " changes to schools, classes, students, enrollments and staff since)\n";
  if (d.changed_cells == 0 && d.total.status == "same") {
    std::cout << "no difference: the figures computed now are the frozen ones\n";
    return;
  }
  std::printf("%-8s %-16s %-32s %10s %10s %10s\n", "COMMUNE", "SCHOOL", "COLUMN", "FROZEN", "NOW", "DIFFERENCE");
  auto rows = d.rows;
  rows.push_back(d.total);
  rows.back().unit.commune = "total";
  for (const auto& r : rows)
    for (const auto& c : d.columns) {
      long long f = r.frozen.count(c.key), n = r.now.count(c.key);
      if (f == n) continue;
      std::printf("%-8s %-16s %-32s %10lld %10lld %+10lld\n", r.unit.commune.c_str(),
                  r.unit.school_code.empty() ? "-" : r.unit.school_code.c_str(), c.key.c_str(), f, n, n - f);
    }
  std::cout << d.changed_cells << " cells differ\n";
}

}  // namespace

void add_report_commands(CLI::App& app, CliContext& ctx) {
  auto* report = app.add_subcommand("report", "EMIS cut-off reports, frozen submissions, open data");
  report->require_subcommand(1);

  {
    auto* cmd = report->add_subcommand("emis", "counts of schools, classes, students and staff on a cut-off date");
    auto a = std::make_shared<ReportArgs>();
    add_report_options(cmd, *a);
    a->format = "csv";
    cmd->add_option("--format", a->format, "csv (default), xlsx or json")->check(CLI::IsMember({"csv", "xlsx", "json"}));
    cmd->add_option("--output", a->output, "write to this file (default: standard output)");
    cmd->callback([&ctx, a] {
      auto cats = catalogs(ctx);
      auto p = params(*a, *cats);
      auto r = in_report_transaction(ctx, [&](pqxx::work& tx) {
        auto rep = compute(tx, *cats, p);
        audit(tx, ctx, "report.emis", "emis:" + p.as_of.iso(), rep, a->format);
        return rep;
      });
      emit(report_bytes(r, a->format), a->output);
      std::cerr << r.rows.size() << " " << by_name(r.by) << " rows as of " << r.as_of.iso() << " (school year "
                << r.school_year << ")\n";
    });
  }
  {
    auto* cmd = report->add_subcommand("freeze", "compute an EMIS report and store it as submitted, unchangeable");
    auto a = std::make_shared<ReportArgs>();
    add_report_options(cmd, *a);
    cmd->add_option("--label", a->label, "what the submission is, e.g. \"EMIS 30/9/2025\"");
    cmd->callback([&ctx, a] {
      auto cats = catalogs(ctx);
      auto p = params(*a, *cats);
      if (auto s = check_label(a->label); !s) throw CommandFailed(kExitUsage, "--" + s.error().message);
      auto m = in_report_transaction(ctx, [&](pqxx::work& tx) {
        auto rep = compute(tx, *cats, p);
        return freeze(tx, rep, change_position(tx), a->label, ctx.actor_name(), ctx.host());
      });
      if (ctx.json_output) {
        print_meta(ctx, m);
      } else {
        std::cout << "frozen report " << m.id << ": " << m.as_of << " by " << m.by
                  << (m.level.empty() ? "" : " level " + m.level) << ", inputs at change " << m.change_seq
                  << ", figures sha256 " << m.figures_sha256 << "\n";
      }
    });
  }
  {
    auto* frozen = report->add_subcommand("frozen", "frozen submissions: list, show, diff against the data now");
    frozen->require_subcommand(1);

    auto* list = frozen->add_subcommand("list", "newest first");
    auto la = std::make_shared<ReportArgs>();
    list->add_option("--limit", la->limit, "at most this many")->check(CLI::Range(1, 100000));
    list->callback([&ctx, la] {
      auto metas = ctx.pg().with_transaction([&](pqxx::work& tx) { return list_frozen(tx, la->limit); });
      if (!ctx.json_output)
        std::printf("%-6s %-10s %-8s %-5s %-12s %10s %-20s %-24s %s\n", "ID", "AS OF", "BY", "LEVEL", "UNITS",
                    "CHANGE SEQ", "FROZEN AT", "FROZEN BY", "LABEL");
      for (const auto& m : metas) print_meta(ctx, m);
    });

    auto* show = frozen->add_subcommand("show", "the frozen figures");
    auto sa = std::make_shared<ReportArgs>();
    sa->format = "json";
    show->add_option("id", sa->id, "frozen report id")->required();
    show->add_option("--format", sa->format, "json (default: the stored bytes), csv or xlsx")
        ->check(CLI::IsMember({"json", "csv", "xlsx"}));
    show->add_option("--output", sa->output, "write to this file (default: standard output)");
    show->callback([&ctx, sa] {
      auto f = ctx.pg().with_transaction([&](pqxx::work& tx) {
        auto fr = frozen_or_fail(tx, sa->id);
        audit(tx, ctx, "report.frozen_show", "frozen_report:" + std::to_string(sa->id), figures_of(fr), sa->format);
        return fr;
      });
      emit(sa->format == "json" ? f.figures + "\n" : report_bytes(figures_of(f), sa->format), sa->output);
    });

    auto* diff_cmd = frozen->add_subcommand("diff", "the frozen figures and the same report computed now, side by side");
    auto da = std::make_shared<ReportArgs>();
    da->format = "table";
    diff_cmd->add_option("id", da->id, "frozen report id")->required();
    diff_cmd->add_option("--format", da->format, "table (default), json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    diff_cmd->callback([&ctx, da] {
      auto cats = catalogs(ctx);
      struct Out {
        FrozenMeta meta;
        EmisDiff d;
        long long now_seq = 0, changes = 0;
      };
      auto out = in_report_transaction(ctx, [&](pqxx::work& tx) {
        auto f = frozen_or_fail(tx, da->id);
        auto frozen = figures_of(f);
        EmisParams p{frozen.as_of, frozen.by, frozen.level, frozen.units, frozen.units_mode};
        auto now = compute(tx, *cats, p);
        audit(tx, ctx, "report.frozen_diff", "frozen_report:" + std::to_string(da->id), frozen, da->format);
        return Out{f.meta, diff(frozen, now), change_position(tx), changes_since(tx, f.meta.change_seq)};
      });
      if (da->format == "json") {
        std::cout << diff_json(out.meta, out.d, out.now_seq, out.changes) << "\n";
      } else if (da->format == "csv") {
        auto csv = to_csv(diff_table(out.d));
        if (!csv) throw CommandFailed(kExitFailed, csv.error().message);
        std::cout << *csv;
      } else {
        print_diff(out.d, out.meta, out.now_seq, out.changes);
      }
    });
  }
  {
    auto* cmd = report->add_subcommand("open-data",
                                       "the EMIS aggregates for the city portal, small cells suppressed, with a data dictionary");
    auto a = std::make_shared<ReportArgs>();
    a->by = "commune";
    cmd->add_option("--as-of", a->as_of, "cut-off date YYYY-MM-DD")->required();
    cmd->add_option("--by", a->by, "commune (default) or school")->check(CLI::IsMember({"commune", "school"}));
    cmd->add_option("--level", a->level, "only schools of this level (code or name)");
    cmd->add_option("--units", a->units,
                    "units of the report's date (as_of, default) or today's units, mapped forward through the 2025 crosswalk (current)")
      ->check(CLI::IsMember({"as_of", "current"}));
    cmd->add_option("--output-dir", a->output_dir, "folder for the CSV, JSON and dictionary files")->required();
    cmd->callback([&ctx, a] {
      auto cats = catalogs(ctx);
      auto p = params(*a, *cats);
      auto r = in_report_transaction(ctx, [&](pqxx::work& tx) {
        auto rep = compute(tx, *cats, p);
        audit(tx, ctx, "report.open_data", "emis:" + p.as_of.iso(), rep, "open-data");
        return rep;
      });
      auto open = make_open_data(r);
      std::error_code ec;
      std::filesystem::create_directories(a->output_dir, ec);
      if (ec) throw CommandFailed(kExitFailed, "cannot make " + a->output_dir + ": " + ec.message());
      auto csv = open_data_csv(open);
      if (!csv) throw CommandFailed(kExitFailed, csv.error().message);
      std::string base = a->output_dir + "/" + open_data_basename(r);
      emit(*csv, base + ".csv");
      emit(open_data_json(open) + "\n", base + ".json");
      emit(dictionary_json(open) + "\n", base + "-dictionary.json");
      emit(dictionary_markdown(open), base + "-dictionary.md");
      std::size_t cells = 0;
      for (const auto& s : open.suppressed) cells += s.size();
      std::cout << base << ".csv, .json, -dictionary.json, -dictionary.md: " << r.rows.size() << " rows, " << cells
                << " cells suppressed\n";
    });
  }
}

}  // namespace hub::cli
