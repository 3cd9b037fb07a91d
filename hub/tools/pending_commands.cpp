// hubctl pending [--partner P] [--limit N]   (records parked for references the hub lacks)
//
// A vendor record that names a record the hub does not know yet (a school code before the
// school list) waits as `pending` until that record arrives from any partner, or ends rejected
// after ingest.pending_ttl_days. This lists what they wait for, one line per missing reference
// (entity, key, value) with how many records wait for it, from which partners, since when and
// until when: the school lists to ask for. Personal IDs are shown masked.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "hub/common/json.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(text.substr(start, comma - start));
  if (!text.empty()) out.push_back(text.substr(start));
  return out;
}

}  // namespace

void add_pending_commands(CLI::App& app, CliContext& ctx) {
  struct Opts {
    std::string partner;
    int limit = 100;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("pending", "records waiting for records the hub does not know yet, by missing reference");
  cmd->add_option("--partner", o->partner, "only records pushed by this partner");
  cmd->add_option("--limit", o->limit, "at most this many missing references")->check(CLI::Range(1, 100000));
  cmd->callback([&ctx, o] {
    auto rows = ctx.pg().with_transaction([&](pqxx::work& tx) {
      return tx.exec_params(
          "select r.entity, r.key_name,"
          "   case when r.key_value ~ '^[0-9]{12}$' then left(r.key_value, 3) || repeat('*', 7) || right(r.key_value, 2)"
          "     else r.key_value end,"
          "   count(distinct p.id), string_agg(distinct pa.name, ',' order by pa.name),"
          "   to_char(min(p.received_at) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
          "   to_char(min(p.expires_at) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
          " from pending_ref r join pending_record p on p.id = r.pending_id join partner pa on pa.id = p.partner_id"
          " where ($1 = '' or pa.name = $1)"
          " group by r.entity, r.key_name, r.key_value order by count(distinct p.id) desc, min(p.received_at), r.key_value"
          " limit $2",
          o->partner, o->limit);
    });
    if (rows.empty()) {
      if (ctx.json_output) return;
      std::cout << "no pending records" << (o->partner.empty() ? "" : " of partner " + o->partner) << "\n";
      return;
    }
    if (!ctx.json_output)
      std::printf("%-12s %-16s %-22s %8s %-24s %-20s %s\n", "ENTITY", "KEY", "VALUE", "RECORDS", "PARTNERS",
                  "OLDEST", "EXPIRES");
    for (const auto& r : rows) {
      if (ctx.json_output) {
        json::JsonWriter w;
        w.begin_object().kv("entity", r[0].c_str()).kv("key", r[1].c_str()).kv("value", r[2].c_str())
            .kv("records", r[3].as<long long>()).key("partners").strings(split_commas(r[4].c_str()))
            .kv("oldest_received_at", r[5].c_str()).kv("expires_at", r[6].c_str()).end_object();
        std::cout << w.str() << "\n";
      } else {
        std::printf("%-12s %-16s %-22s %8s %-24s %-20s %s\n", r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(),
                    r[4].c_str(), r[5].c_str(), r[6].c_str());
      }
    }
  });
}

}  // namespace hub::cli
