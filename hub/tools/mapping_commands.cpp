// hubctl jsonpath | mapping check|run | catalog list|show|lookup: explore vendor payloads and
// test mapping files before they go live. None of these needs PostgreSQL or Redis; `mapping run`
// looks up references to stored records (read only) when it can (hub/store/reference_lookup.h).

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "hub/common/json.h"
#include "hub/ingest/dry_run.h"
#include "hub/inbox/payload.h"
#include "hub/mapping/jsonpath.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/mapping/output.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

std::string read_input(const std::string& file) {
  if (file.empty() || file == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(file);
  if (!in) throw CommandFailed(kExitFailed, "cannot read " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files are parsed as the hub parses request bodies: without recursion, nesting bounded by
// json.max_depth, the whole file one value.
rapidjson::Document parse_json(const std::string& text, const std::string& name, int max_depth) {
  rapidjson::Document d;
  auto parsed = json::parse(text, d, max_depth);
  if (!parsed) {
    std::string why = parsed.error().message;
    if (why.rfind(json::kMalformedPrefix, 0) == 0) why = "not valid JSON: " + why.substr(json::kMalformedPrefix.size());
    throw CommandFailed(kExitFailed, (name.empty() ? std::string("stdin") : name) + ": " + why);
  }
  return d;
}

mapping::LoadContext context(CliContext& ctx) {
  auto c = mapping::load_context(ctx.config().mappings.dir);
  if (!c) throw CommandFailed(kExitFailed, c.error().message);
  return c.value();
}

std::shared_ptr<const mapping::Mapping> load_mapping(CliContext& ctx, const std::string& file) {
  auto m = mapping::Mapping::load_file(file, context(ctx));
  if (!m) throw CommandFailed(kExitUsage, m.error().message);
  return m.value();
}

// `mapping run`'s output, written as it is made: the results of a slice of records at a time,
// each slice mapped (and its references checked) and written before the next is mapped, so that
// memory holds the file and its parsed document but not every record's result (each mapped
// record has its own JSON document: tens of thousands of them took gigabytes). The output is
// the JSON write_output makes of the whole run.
void write_results_streaming(CliContext& ctx, const mapping::Mapping& m, const mapping::LoadContext& c,
                             const Payload& p, bool check_refs, bool wanted) {
  constexpr std::size_t kSlice = 500;
  json::JsonWriter version;
  version.value(m.version());
  std::cout << "{\"mapping_version\":" << version.str() << ",\"results\":[";
  std::size_t written = 0;
  auto write = [&](const std::vector<mapping::RecordResult>& results) {
    for (const auto& r : results) {
      json::JsonWriter w;
      mapping::write_result(w, r);
      std::cout << (written++ ? "," : "") << w.str();
    }
  };
  bool checked = false;
  if (check_refs || wanted) {
    mapping::Snapshot snap{c.catalogs, c.schemas, {}, 0};
    bool started = false;
    try {
      ctx.pg().with_transaction([&](pqxx::work& tx) {
        // A connection lost after output began cannot be retried without writing results twice.
        if (started) throw CommandFailed(kExitFailed, "the database connection was lost while checking references");
        started = true;
        tx.exec("set transaction read only");
        for (std::size_t first = 0; first < p.records.size(); first += kSlice)
          write(map_and_check(tx, m, snap, p, first, first + kSlice));
      });
      checked = true;
    } catch (const CommandFailed&) {
      throw;
    } catch (const std::exception& e) {
      if (written > 0) throw CommandFailed(kExitFailed, std::string("cannot check references: ") + e.what());
      if (check_refs) throw CommandFailed(kExitFailed, std::string("cannot check references: ") + e.what());
      std::cerr << "hubctl: warning: references not checked (the database cannot be reached: " << e.what()
                << "); records naming them show as mapped\n";
    }
  }
  if (!checked)
    for (std::size_t i = 0; i < p.records.size(); ++i) {
      std::vector<mapping::RecordResult> one;
      one.push_back(map_payload_record(m, p.records[i], i));
      write(one);
    }
  std::cout << "]}\n";
}

// The payloads `mapping check` tries: those given, else samples/<feed>*.json beside the mapping
// file (not the *.expected.json outputs).
std::vector<std::string> sample_files(const std::string& mapping_file, const std::string& feed,
                                      const std::vector<std::string>& given) {
  if (!given.empty()) return given;
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  fs::path dir = fs::path(mapping_file).parent_path() / "samples";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    auto ends_with = [&](const std::string& suffix) {
      return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (name.rfind(feed, 0) == 0 && ends_with(".json") && !ends_with(".expected.json")) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// An unknown catalog's name, and the names of those that exist.
std::string unknown_catalog(const catalog::CatalogSet& catalogs, const std::string& name) {
  std::string known;
  for (const auto* cat : catalogs.list()) known += (known.empty() ? "" : ", ") + cat->name();
  return "no catalog named '" + name + "'; known catalogs: " + known;
}

void print_entry(const catalog::Entry& e) {
  json::JsonWriter w;
  w.begin_object().kv("code", e.code).kv("name", e.name);
  if (!e.name_en.empty()) w.kv("name_en", e.name_en);
  if (!e.parent.empty()) w.kv("parent", e.parent);
  if (!e.level.empty()) w.kv("level", e.level);
  if (!e.codes.empty()) {
    w.key("codes").begin_object();
    for (const auto& [k, v] : e.codes) w.kv(k, v);
    w.end_object();
  }
  if (!e.synonyms.empty()) w.key("synonyms").strings(e.synonyms);
  if (e.valid_from) w.kv("valid_from", e.valid_from->iso());
  if (e.valid_to) w.kv("valid_to", e.valid_to->iso());
  w.end_object();
  std::cout << w.str() << "\n";
}

}  // namespace

void add_mapping_commands(CLI::App& app, CliContext& ctx) {
  {
    auto* cmd = app.add_subcommand("jsonpath", "select from a JSON document with an RFC 9535 JSONPath (like jq)");
    auto query = std::make_shared<std::string>();
    auto file = std::make_shared<std::string>();
    auto paths = std::make_shared<bool>(false);
    cmd->add_option("query", *query, "the JSONPath, e.g. '$.hoSo[?@.gioiTinh == \"Nữ\"].hoTen'")->required();
    cmd->add_option("file", *file, "JSON file (default: standard input)");
    cmd->add_flag("--paths", *paths, "print the normalized paths instead of the values");
    cmd->callback([&ctx, query, file, paths] {
      auto q = jsonpath::Query::parse(*query);
      if (!q) {
        std::cerr << *query << "\n" << std::string(q.error().offset, ' ') << "^\n";
        throw CommandFailed(kExitUsage, "invalid JSONPath at character " + std::to_string(q.error().offset) +
                                            ": " + q.error().message);
      }
      auto doc = parse_json(read_input(*file), *file, ctx.config().json.max_depth);
      json::JsonWriter w;
      w.begin_array();
      for (const auto& node : q->select_with_paths(doc)) {
        if (*paths) w.value(node.path);
        else w.value(*node.value);
      }
      w.end_array();
      std::cout << w.str() << "\n";
    });
  }

  auto* mapping_cmd = app.add_subcommand("mapping", "check and try mapping files");
  mapping_cmd->require_subcommand(1);
  {
    auto* cmd = mapping_cmd->add_subcommand(
        "check", "validate a mapping file (exit 2 with file:line:column if wrong), print its warnings, and run it "
                 "over its sample payloads (samples/<feed>*.json beside it, or --sample) to warn about what they show");
    auto file = std::make_shared<std::string>();
    auto samples = std::make_shared<std::vector<std::string>>();
    cmd->add_option("file", *file, "mappings/partners/<partner>/<feed>.yaml")->required();
    cmd->add_option("--sample", *samples, "a vendor payload to try (repeatable; default: the samples beside the file)");
    cmd->callback([&ctx, file, samples] {
      auto m = load_mapping(ctx, *file);
      std::cout << *file << ": ok (partner " << m->partner() << ", feed " << m->feed() << ", version "
                << m->version() << ", emits";
      for (const auto& e : m->entities()) std::cout << " " << e;
      std::cout << ")\n";
      for (const auto& w : m->warnings()) std::cout << w << "\n";
      for (const auto& sample : sample_files(*file, m->feed(), *samples)) {
        auto doc = parse_json(read_input(sample), sample, ctx.config().json.max_depth);
        auto out = m->run(doc);
        std::size_t counts[3] = {0, 0, 0};
        for (const auto& r : out.results) ++counts[static_cast<int>(r.status)];
        std::cout << sample << ": " << out.results.size() << " records: " << counts[0] << " mapped, " << counts[1]
                  << " review, " << counts[2] << " rejected";
        if (out.document_error) std::cout << "; " << out.document_error->message;
        std::cout << "\n";
        for (const auto& w : m->sample_warnings(out)) std::cout << sample << ": warning: " << w << "\n";
      }
    });
  }
  {
    auto* cmd = mapping_cmd->add_subcommand(
        "run", "map a vendor payload and print canonical records and errors; references to stored records (school "
               "codes ...) are checked in the hub's database when HUB_POSTGRES_URL is set or --check-refs is given");
    auto file = std::make_shared<std::string>();
    auto payload = std::make_shared<std::string>();
    auto check_refs = std::make_shared<bool>(false);
    auto no_check_refs = std::make_shared<bool>(false);
    cmd->add_option("file", *file, "the mapping file")->required();
    cmd->add_option("payload", *payload, "vendor JSON document (default: standard input)");
    cmd->add_flag("--check-refs", *check_refs,
                  "look references up in the database (postgres.url); fail if it cannot be reached");
    cmd->add_flag("--no-check-refs", *no_check_refs, "do not look references up: they show as mapped");
    cmd->callback([&ctx, file, payload, check_refs, no_check_refs] {
      if (*check_refs && *no_check_refs) throw CommandFailed(kExitUsage, "--check-refs and --no-check-refs exclude each other");
      auto c = context(ctx);
      auto loaded = mapping::Mapping::load_file(*file, c);
      if (!loaded) throw CommandFailed(kExitUsage, loaded.error().message);
      auto m = loaded.value();
      std::string text = read_input(*payload);
      const int depth = ctx.config().json.max_depth;
      parse_json(text, *payload, depth);  // the same refusal of a file that is not JSON as before
      Payload p;
      if (auto parsed = parse_payload(text, "application/json", *m, depth, p); !parsed)
        throw CommandFailed(kExitFailed, (payload->empty() ? std::string("stdin") : *payload) + ": " +
                                             parsed.error().message);
      if (p.records.empty()) {  // says where the mapping looks for records
        mapping::MappingOutput out = m->run(p.document);
        out.mapping_version = m->version();
        json::JsonWriter w;
        mapping::write_output(w, out);
        std::cout << w.str() << "\n";
        if (out.document_error) throw CommandFailed(kExitFailed, out.document_error->message);
        return;
      }
      write_results_streaming(ctx, *m, c, p, *check_refs, !*no_check_refs && std::getenv("HUB_POSTGRES_URL") != nullptr);
    });
  }

  auto* catalog_cmd = app.add_subcommand("catalog", "look at the shared catalogs");
  catalog_cmd->require_subcommand(1);
  {
    auto* cmd = catalog_cmd->add_subcommand("list", "list the catalogs");
    cmd->callback([&ctx] {
      auto c = context(ctx);
      std::printf("%-20s %8s  %s\n", "CATALOG", "ENTRIES", "TITLE");
      for (const auto* cat : c.catalogs->list())
        std::printf("%-20s %8zu  %s\n", cat->name().c_str(), cat->entries().size(), cat->title_vi().c_str());
    });
  }
  {
    auto* cmd = catalog_cmd->add_subcommand("show", "show a catalog's description and entries (JSON lines)");
    auto name = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(50);
    cmd->add_option("name", *name)->required();
    cmd->add_option("--limit", *limit, "entries to print (default 50, 0 = all)");
    cmd->callback([&ctx, name, limit] {
      auto c = context(ctx);
      const auto* cat = c.catalogs->find(*name);
      if (!cat) throw CommandFailed(kExitFailed, unknown_catalog(*c.catalogs, *name));
      std::cerr << cat->title_vi() << " / " << cat->title_en() << "\n" << cat->description() << "\nsource: "
                << cat->source() << "\nlicence: " << cat->licence() << "\ncode systems:\n";
      // What each code means in each code system, where the catalog is small enough to say.
      for (const auto& s : cat->code_systems()) {
        std::cerr << "  " << s.id << " (" << s.status << "): " << s.title << "\n";
        std::string meanings = cat->describe_codes(s.id == cat->canonical_code_system() ? "" : s.id);
        if (!meanings.empty()) std::cerr << "    " << meanings << "\n";
      }
      if (!cat->unknown_codes().empty()) {
        std::cerr << "codes meaning \"not known\":";
        for (const auto& c : cat->unknown_codes()) std::cerr << " " << c;
        std::cerr << "\n";
      }
      std::cerr << "entries: " << cat->entries().size() << "\n";
      int n = 0;
      for (const auto& e : cat->entries()) {
        if (*limit > 0 && n++ >= *limit) break;
        print_entry(e);
      }
    });
  }
  {
    auto* cmd = catalog_cmd->add_subcommand("lookup", "find an entry by code, name or synonym");
    auto name = std::make_shared<std::string>();
    auto value = std::make_shared<std::string>();
    auto system = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>("any");
    auto as_of = std::make_shared<std::string>();
    auto parent = std::make_shared<std::string>();
    cmd->add_option("catalog", *name)->required();
    cmd->add_option("value", *value)->required();
    cmd->add_option("--code-system", *system, "the code system of the value (default: the catalog's own)");
    cmd->add_option("--by", *by, "code | name | any")->check(CLI::IsMember({"code", "name", "any"}));
    cmd->add_option("--as-of", *as_of, "date the value refers to (YYYY-MM-DD), e.g. for pre-2025 communes");
    cmd->add_option("--parent", *parent, "restrict to entries under this parent code (e.g. a province)");
    cmd->callback([&ctx, name, value, system, by, as_of, parent] {
      auto c = context(ctx);
      const auto* cat = c.catalogs->find(*name);
      if (!cat) throw CommandFailed(kExitFailed, unknown_catalog(*c.catalogs, *name));
      catalog::LookupOptions opts;
      opts.code_system = *system;
      opts.by = *by == "code" ? catalog::LookupBy::kCode : *by == "name" ? catalog::LookupBy::kName : catalog::LookupBy::kAny;
      opts.parent = *parent;
      if (!as_of->empty()) {
        opts.as_of = Date::parse_iso(*as_of);
        if (!opts.as_of) throw CommandFailed(kExitUsage, "--as-of must be YYYY-MM-DD");
      }
      auto r = cat->lookup(*value, opts);
      if (!r) throw CommandFailed(kExitFailed, r.error().message + " [" + r.error().code + "]");
      print_entry(*r.value());
      if (*name == "commune" && !r.value()->valid_on(Date::today())) {
        auto cw = c.catalogs->crosswalk_commune(r.value()->code);
        if (cw) {
          std::cout << "crosswalk: " << (cw->kind == catalog::CrosswalkResult::Kind::kPartial ? "split (review) into" : "now");
          for (const auto& code : cw->new_codes) std::cout << " " << code;
          std::cout << "\n";
        }
      }
    });
  }
}

}  // namespace hub::cli
