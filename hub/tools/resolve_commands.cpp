// hubctl review (list, show, decide), merge and unmerge: the ops side of entity resolution, on
// the same ReviewQueue as the admin API.

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "hub/common/json.h"
#include "hub/resolve/messy_data.h"
#include "hub/resolve/review_queue.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

resolve::RuleSet load_rules(CliContext& ctx) {
  auto rules = resolve::load_matching_rules(ctx.config().mappings.dir + "/matching");
  if (!rules) throw CommandFailed(kExitUsage, rules.error().message);
  return std::move(rules.value());
}

[[noreturn]] void failed(const Error& e) {
  int code = e.code == "review.bad_decision" ? kExitUsage : kExitFailed;
  throw CommandFailed(code, e.code + ": " + e.message);
}

void print_items(const std::string& json, const CliContext& ctx, const std::string& none) {
  const bool as_json = ctx.json_output;
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d["items"].Empty()) print_none(ctx, none);
  for (const auto& it : d["items"].GetArray()) {
    if (as_json) {
      std::cout << json::to_string(it) << "\n";
      continue;
    }
    std::string why = it["reasons"].IsArray() && it["reasons"].Size() > 0 && it["reasons"][0].IsObject() &&
                              it["reasons"][0].HasMember("code")
                          ? it["reasons"][0]["code"].GetString()
                          : "";
    std::printf("%-6lld %-7s %-8s %-9s %-36s %-36s %7s  %s\n", static_cast<long long>(it["id"].GetInt64()),
                it["kind"].GetString(), it["status"].GetString(), it["entity"].GetString(),
                it.HasMember("record") ? it["record"].GetString() : "-",
                it.HasMember("candidate") ? it["candidate"].GetString() : "-",
                it.HasMember("score") ? std::to_string(static_cast<int>(it["score"].GetDouble())).c_str() : "-",
                why.c_str());
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw CommandFailed(kExitFailed, "cannot write " + path);
}

// Pairwise precision and recall of the hub's student records against the ground truth: a pair
// of vendor records is predicted "same" when both ended in one golden record (after merges).
void evaluate(CliContext& ctx, const std::string& truth_path) {
  std::ifstream in(truth_path);
  if (!in) throw CommandFailed(kExitUsage, "cannot read " + truth_path);
  std::map<std::pair<std::string, std::string>, std::string> truth;  // (partner, source) -> child
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(','), b = line.rfind(',');
    if (a == std::string::npos || a == b) continue;
    truth[{line.substr(0, a), line.substr(a + 1, b - a - 1)}] = line.substr(b + 1);
  }
  std::map<std::string, std::map<std::string, long long>> by_record;  // golden -> child -> n
  std::map<std::string, std::map<std::string, long long>> by_child;   // child -> golden -> n
  long long found = 0;
  long long reviews = 0;
  ctx.pg().with_transaction([&](pqxx::work& tx) {
    for (const auto& r : tx.exec(
             "select p.name, l.source_id, coalesce(g.merged_into, g.id)::text from source_link l"
             " join partner p on p.id = l.partner_id join golden_record g on g.id = l.record_id where l.entity = 'student'")) {
      auto t = truth.find({r[0].c_str(), r[1].c_str()});
      if (t == truth.end()) continue;
      ++found;
      by_record[r[2].c_str()][t->second]++;
      by_child[t->second][r[2].c_str()]++;
    }
    reviews = tx.exec1("select count(*) from review_item where kind = 'match' and entity = 'student'")[0].as<long long>();
  });
  auto pairs = [](long long n) { return n * (n - 1) / 2; };
  long long tp = 0, predicted = 0, actual = 0, wrong_merges = 0, split = 0;
  for (const auto& [rec, children] : by_record) {
    long long n = 0;
    for (const auto& [c, k] : children) {
      tp += pairs(k);
      n += k;
    }
    predicted += pairs(n);
    if (children.size() > 1) ++wrong_merges;
  }
  for (const auto& [c, recs] : by_child) {
    long long n = 0;
    for (const auto& [r, k] : recs) n += k;
    actual += pairs(n);
    if (recs.size() > 1) ++split;
  }
  double precision = predicted ? double(tp) / predicted : 1.0;
  double recall = actual ? double(tp) / actual : 1.0;
  double review_rate = found ? double(reviews) / found : 0.0;
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("records", static_cast<long long>(truth.size())).kv("stored", found)
        .kv("not_stored", static_cast<long long>(truth.size()) - found)
        .kv("children", static_cast<long long>(by_child.size())).kv("students", static_cast<long long>(by_record.size()))
        .kv("precision", precision).kv("recall", recall).kv("review_items", reviews).kv("review_rate", review_rate)
        .kv("records_with_several_children", wrong_merges).kv("children_in_several_records", split).end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::printf("vendor records     %zu (stored %lld, not stored %lld)\n", truth.size(), found,
              static_cast<long long>(truth.size()) - found);
  std::printf("children (truth)   %zu\n", by_child.size());
  std::printf("hub students       %zu\n", by_record.size());
  std::printf("precision          %.5f  (%lld of %lld merged pairs are the same child; %lld records hold several children)\n",
              precision, tp, predicted, wrong_merges);
  std::printf("recall             %.5f  (%lld of %lld same-child pairs merged; %lld children split)\n", recall, tp,
              actual, split);
  std::printf("review rate        %.4f  (%lld match review items)\n", review_rate, reviews);
}

}  // namespace

void add_resolve_commands(CLI::App& app, CliContext& ctx) {
  auto* review = app.add_subcommand("review", "the review queue: doubtful matches and records needing a person");
  review->require_subcommand(1);

  auto* list = review->add_subcommand("list", "list review items (open ones by default)");
  auto status = std::make_shared<std::string>("open");
  auto limit = std::make_shared<int>(100);
  auto after = std::make_shared<long long>(0);
  list->add_option("--status", *status, "open, resolved or all")->check(CLI::IsMember({"open", "resolved", "all"}));
  list->add_option("--limit", *limit, "at most this many (default 100)")->check(CLI::Range(1, 10000));
  list->add_option("--after", *after, "items after this id (paging)");
  list->callback([&ctx, status, limit, after] {
    auto rules = load_rules(ctx);
    resolve::ReviewQueue q(ctx.pg(), rules);
    std::string none = *status == "all" ? "review items" : *status + " review items";
    if (*after > 0) none += " after " + std::to_string(*after);
    print_items(q.list_json(*status == "all" ? "" : *status, *after, *limit), ctx, none);
  });

  auto* show = review->add_subcommand("show", "one review item with both records (personal IDs masked)");
  auto show_id = std::make_shared<long long>(0);
  show->add_option("id", *show_id, "review item id")->required();
  show->callback([&ctx, show_id] {
    auto rules = load_rules(ctx);
    auto r = resolve::ReviewQueue(ctx.pg(), rules).show_json(*show_id);
    if (!r) failed(r.error());
    std::cout << r.value() << "\n";
  });

  auto* decide = review->add_subcommand("decide", "decide a review item: match (merge) or not-a-match (remembered); a personal ID change: apply or keep");
  auto decide_id = std::make_shared<long long>(0);
  auto decision = std::make_shared<std::string>();
  decide->add_option("id", *decide_id, "review item id")->required();
  decide->add_option("decision", *decision, "match | not-a-match | apply | keep | commune=<new commune code> | school=<school code> | left")->required();
  decide->callback([&ctx, decide_id, decision] {
    auto rules = load_rules(ctx);
    std::string d = *decision == "not-a-match" ? "not_a_match" : *decision;
    auto r = d.rfind("commune=", 0) == 0 ? decide_commune(ctx, rules, *decide_id, d.substr(8))
             : d.rfind("school=", 0) == 0 || d == "left" ? decide_school_item(ctx, *decide_id, d == "left" ? d : d.substr(7))
                                         : resolve::ReviewQueue(ctx.pg(), rules).decide(*decide_id, d, ctx.actor_name());
    if (!r) failed(r.error());
    std::cout << r.value() << "\n";
  });

  auto* resolve = app.add_subcommand("resolve", "entity resolution: generate messy test data, evaluate the result");
  resolve->require_subcommand(1);
  auto* gen = resolve->add_subcommand("generate", "write messy student data with ground truth for the two demo partners");
  auto opts = std::make_shared<resolve::MessyOptions>();
  auto out_dir = std::make_shared<std::string>();
  auto batch = std::make_shared<int>(1000);
  gen->add_option("--children", opts->children, "how many children (default 1000)")->check(CLI::Range(1, 10000000));
  gen->add_option("--seed", opts->seed, "random seed (default 1)");
  gen->add_option("--schools", opts->schools, "how many schools (default 40)")->check(CLI::Range(1, 10000));
  gen->add_option("--batch", *batch, "records per pushed document (default 1000)")->check(CLI::Range(1, 100000));
  // The harder cases of real registers, each a share (0 to 1); docs/matching.md, "Choosing m and u".
  gen->add_option("--twins", opts->twin_rate, "share of children born with a twin in the same class (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--namesakes", opts->namesake_rate,
                  "share of children with the name, birth date and school of another (default 0.005)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--reordered-names", opts->reordered_name_rate,
                  "share of transcript records with the name given-name first, without diacritics (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--transposed-ids", opts->transposed_id_rate,
                  "share of admissions personal IDs with two neighbouring digits swapped (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--missing-birth-dates", opts->missing_birth_date_rate,
                  "share of records with an identifier sent without a birth date (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--school-changes", opts->school_change_rate,
                  "share of children enrolled in another school than the one they applied to (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--out", *out_dir, "folder for schools.json, admissions-N.json, transcripts-N.json, truth.csv")->required();
  gen->callback([opts, out_dir, batch] {
    auto data = resolve::generate_messy_data(*opts, *batch);
    std::filesystem::create_directories(*out_dir);
    write_file(*out_dir + "/schools.json", data.schools_json);
    for (std::size_t i = 0; i < data.admissions_json.size(); ++i)
      write_file(*out_dir + "/admissions-" + std::to_string(i) + ".json", data.admissions_json[i]);
    for (std::size_t i = 0; i < data.transcripts_json.size(); ++i)
      write_file(*out_dir + "/transcripts-" + std::to_string(i) + ".json", data.transcripts_json[i]);
    write_file(*out_dir + "/truth.csv", data.truth_csv);
    std::printf("%zu children: %d admissions records in %zu files, %d transcript records in %zu files -> %s\n",
                data.children.size(), data.admissions_records, data.admissions_json.size(), data.transcripts_records,
                data.transcripts_json.size(), out_dir->c_str());
  });
  auto* eval = resolve->add_subcommand("evaluate", "precision, recall and review rate of the stored students against truth.csv");
  auto truth = std::make_shared<std::string>();
  eval->add_option("--truth", *truth, "the truth.csv written by generate")->required();
  eval->callback([&ctx, truth] { evaluate(ctx, *truth); });

  auto* merge = app.add_subcommand("merge", "merge one record into another (the merged id redirects to the survivor)");
  auto merged = std::make_shared<std::string>();
  auto into = std::make_shared<std::string>();
  merge->add_option("record", *merged, "the record that is merged")->required();
  merge->add_option("--into", *into, "the surviving record")->required();
  merge->callback([&ctx, merged, into] {
    auto rules = load_rules(ctx);
    auto r = resolve::ReviewQueue(ctx.pg(), rules).merge(*into, *merged, ctx.actor_name());
    if (!r) failed(r.error());
    std::cout << r.value() << "\n";
  });

  auto* unmerge = app.add_subcommand("unmerge", "undo the merge of a record: both come back with their own sources");
  auto unmerged = std::make_shared<std::string>();
  unmerge->add_option("record", *unmerged, "the record that was merged")->required();
  unmerge->callback([&ctx, unmerged] {
    auto rules = load_rules(ctx);
    auto r = resolve::ReviewQueue(ctx.pg(), rules).unmerge(*unmerged, ctx.actor_name());
    if (!r) failed(r.error());
    std::cout << r.value() << "\n";
  });
}

}  // namespace hub::cli
