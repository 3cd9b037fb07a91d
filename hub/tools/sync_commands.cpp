// hubctl sync status|pause|resume|replay|dead-letters|restored, and hubctl export snapshot.
//
// The sync commands act on the push connectors' durable state in PostgreSQL through
// hub/sync/consumer_admin.h, as the admin API does (/v1/admin/sync/...); a running hub sees a
// pause, resume or replay on its next round (within sync.poll_ms), with no restart. Every change
// of state is in the audit log.

#include <iostream>

#include "hub/common/json.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/audit_log.h"
#include "hub/store/related_as_of.h"
#include "hub/sync/consumer_admin.h"
#include "hub/sync/publication.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {

void add_sync_restored_command(CLI::App* sync, CliContext& ctx);

namespace {

// The profiles, validated against the schemas; a failure ends the command.
std::shared_ptr<const sync::Publication> publication(CliContext& ctx, std::shared_ptr<const schema::SchemaSet>* keep) {
  auto loaded = mapping::load_context(ctx.config().mappings.dir);
  if (!loaded) throw CommandFailed(kExitFailed, "cannot load the schemas: " + loaded.error().message);
  *keep = loaded->schemas;
  auto pub = sync::Publication::load(ctx.config().sync.publication, keep->get());
  if (!pub) throw CommandFailed(kExitFailed, pub.error().message);
  return pub.value();
}

// The records in force that day that refer to this one (a student's enrollments, a staff member's
// assignments), each through its own entity's profile; entities the profile lacks are left out.
void write_in_force(json::JsonWriter& w, const std::vector<RelatedInForce>& related, const std::string& id,
                    const sync::Publication& pub, const sync::ConsumerProfile& consumer,
                    const schema::SchemaSet& schemas) {
  w.key("in_force").begin_object();
  for (const auto& r : related) {
    const auto* profile = consumer.entity(r.entity);
    const auto* schema = schemas.find(r.entity);
    if (!profile || !schema) continue;
    w.key(r.entity).begin_array();
    if (auto it = r.by_owner.find(id); it != r.by_owner.end())
      for (const auto& rec : it->second) {
        rapidjson::Document data;
        data.Parse(rec.data.c_str());
        w.begin_object().kv("id", rec.id).kv("version", rec.version).kv("valid_from", rec.valid_from).key("valid_to");
        if (rec.valid_to) w.value(*rec.valid_to); else w.null();
        w.key("data").raw(pub.project(*profile, *schema, data)).end_object();
      }
    w.end_array();
  }
  w.end_object();
}

std::string csv_cell(const rapidjson::Value* v) {
  if (!v || v->IsNull()) return "";
  std::string s = v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : json::to_string(*v);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string csv_text(const std::string& s) {
  rapidjson::Value v(rapidjson::StringRef(s.c_str(), s.size()));
  return csv_cell(&v);
}

}  // namespace

void add_sync_commands(CLI::App& app, CliContext& ctx) {
  auto* sync = app.add_subcommand("sync", "push connectors to the warehouse: state, pause, resume, replay, dead letters");
  sync->require_subcommand(1);

  {
    auto* cmd = sync->add_subcommand("status", "each consumer's cursor, lag, attempts and dead letters");
    cmd->callback([&ctx] {
      std::shared_ptr<const schema::SchemaSet> keep;
      std::shared_ptr<const sync::Publication> pub;
      try {
        pub = publication(ctx, &keep);
      } catch (const CommandFailed& e) {
        std::cerr << "warning: " << e.what() << "\n";
      }
      auto all = sync::consumer_statuses(ctx.pg(), pub.get());
      if (all.empty()) {
        print_none(ctx, "push consumers (config/publication.yaml configures none, and none has a cursor)");
        return;
      }
      if (!ctx.json_output)
        std::printf("%-20s %-8s %-14s %10s %10s %10s %8s %5s %-20s %s\n", "CONSUMER", "STATE", "SINK", "CURSOR", "LAG",
                    "DELIVERED", "ATTEMPTS", "DEAD", "LAST SUCCESS", "LAST ERROR");
      for (const auto& s : all) {
        std::string success = s.last_success_at.empty() ? "-" : s.last_success_at;
        if (ctx.json_output) {
          json::JsonWriter w;
          w.begin_object().kv("consumer", s.name).kv("state", s.state).kv("sink", s.sink).kv("cursor", s.cursor)
              .kv("lag", s.lag).kv("delivered", s.delivered).kv("attempts", s.attempts).kv("dead_letters", s.dead_letters)
              .kv("last_success_at", success).kv("last_error", s.last_error).end_object();
          std::cout << w.str() << "\n";
        } else {
          std::printf("%-20s %-8s %-14s %10lld %10lld %10lld %8d %5lld %-20s %s\n", s.name.c_str(), s.state.c_str(),
                      s.sink.c_str(), s.cursor, s.lag, s.delivered, s.attempts, s.dead_letters, success.c_str(),
                      s.last_error.empty() ? "-" : s.last_error.c_str());
        }
      }
    });
  }
  for (const auto& [verb, paused] : std::vector<std::pair<std::string, bool>>{{"pause", true}, {"resume", false}}) {
    auto* cmd = sync->add_subcommand(verb, paused ? "stop delivering to a consumer (its cursor stays)"
                                                  : "deliver to a paused consumer again");
    auto consumer = std::make_shared<std::string>();
    cmd->add_option("consumer", *consumer, "consumer name (config/publication.yaml)")->required();
    cmd->callback([&ctx, consumer, paused = paused] {
      sync::set_paused(ctx.pg(), *consumer, paused, sync::SyncActor{ctx.actor_name(), ctx.host()});
      std::cout << "consumer '" << *consumer << "' " << (paused ? "paused" : "resumed") << "\n";
    });
  }
  {
    auto* cmd = sync->add_subcommand("replay", "send a consumer every change again from a sequence number on");
    auto consumer = std::make_shared<std::string>();
    auto from = std::make_shared<long long>(0);
    cmd->add_option("consumer", *consumer, "consumer name (config/publication.yaml)")->required();
    cmd->add_option("--from", *from, "first change to send again (its seq)")->required()->check(CLI::Range(1LL, 1LL << 62));
    cmd->callback([&ctx, consumer, from] {
      sync::replay(ctx.pg(), *consumer, *from, sync::SyncActor{ctx.actor_name(), ctx.host()});
      std::cout << "consumer '" << *consumer << "' will receive every change from seq " << *from << " again\n";
    });
  }
  add_sync_restored_command(sync, ctx);
  {
    auto* cmd = sync->add_subcommand("dead-letters", "batches given up on (replay them with sync replay --from)");
    auto consumer = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(50);
    cmd->add_option("consumer", *consumer, "only this consumer");
    cmd->add_option("--limit", *limit, "newest first, at most this many")->check(CLI::Range(1, 100000));
    cmd->callback([&ctx, consumer, limit] {
      auto rows = sync::dead_letters(ctx.pg(), *consumer, *limit);
      if (rows.empty()) {
        print_none(ctx, consumer->empty() ? std::string("dead letters") : "dead letters of '" + *consumer + "'");
        return;
      }
      if (!ctx.json_output)
        std::printf("%-6s %-20s %10s %10s %7s %8s %-20s %s\n", "ID", "CONSUMER", "FIRST SEQ", "LAST SEQ", "CHANGES",
                    "ATTEMPTS", "AT", "ERROR");
      for (const auto& r : rows) {
        if (ctx.json_output) {
          json::JsonWriter w;
          w.begin_object().kv("id", r.id).kv("consumer", r.consumer).kv("first_seq", r.first_seq)
              .kv("last_seq", r.last_seq).kv("changes", r.changes).kv("attempts", r.attempts)
              .kv("error", r.error).kv("at", r.at).kv("idempotency_key", r.idempotency_key).end_object();
          std::cout << w.str() << "\n";
        } else {
          std::printf("%-6lld %-20s %10lld %10lld %7d %8d %-20s %s\n", r.id, r.consumer.c_str(), r.first_seq, r.last_seq,
                      r.changes, r.attempts, r.at.c_str(), r.error.c_str());
        }
      }
    });
  }
}

// Changes a restore can have lost and consumers read: the change log numbers new changes past
// them, so any cursor a consumer holds from before the restore is recognised (sync.cursor_ahead).
constexpr long long kRestoreGap = 1000000000LL;

void add_sync_restored_command(CLI::App* sync, CliContext& ctx) {
  auto* cmd = sync->add_subcommand(
      "restored", "after a point-in-time restore, before the hubs take traffic: consumers whose cursor is past "
                  "the restored change log are told to replay (409 sync.cursor_ahead)");
  cmd->callback([&ctx] {
    auto [last, resumes] = ctx.pg().with_transaction([&](pqxx::work& tx) {
      auto r = tx.exec1(
          "select coalesce((select max(seq) from change_log), 0),"
          " (select last_value from change_log_seq_seq)");
      long long last_seq = r[0].as<long long>();
      long long resumes_at = std::max(last_seq, r[1].as<long long>()) + kRestoreGap;
      tx.exec_params("select setval('change_log_seq_seq', $1)", resumes_at - 1);
      tx.exec_params("insert into change_log_restore(last_seq, resumes_at) values ($1, $2)", last_seq, resumes_at);
      json::JsonWriter d;
      d.begin_object().kv("last_seq", last_seq).kv("resumes_at", resumes_at).end_object();
      AuditLog::record(tx, ctx.actor_name(), "sync.restored", "change_log", ctx.host(), d.str());
      return std::pair{last_seq, resumes_at};
    });
    std::cout << "change log restored up to seq " << last << "; new changes are numbered from " << resumes
              << "; a pull consumer whose cursor is in between gets 409 sync.cursor_ahead and must replay\n";
  });
}

void add_export_commands(CLI::App& app, CliContext& ctx) {
  auto* exp = app.add_subcommand("export", "export data for a consumer, its publication profile applied");
  exp->require_subcommand(1);
  auto* cmd = exp->add_subcommand("snapshot", "every record of an entity as it stood at the end of a cut-off date");
  struct Opts {
    std::string as_of, entity, format = "ndjson", consumer, timezone = "Asia/Ho_Chi_Minh";
    bool as_known = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--as-of", o->as_of, "cut-off date YYYY-MM-DD (e.g. 2025-09-30, 2026-05-31)")->required();
  cmd->add_option("--entity", o->entity, "canonical entity, e.g. student")->required();
  cmd->add_option("--format", o->format, "ndjson or csv")->check(CLI::IsMember({"ndjson", "csv"}));
  cmd->add_option("--consumer", o->consumer, "whose publication profile applies (default: the only consumer)");
  cmd->add_flag("--as-known", o->as_known,
                "only what the hub knew by the end of that day (default: what is known now about that day)");
  cmd->add_option("--timezone", o->timezone, "with --as-known: the day ends in this zone (default Asia/Ho_Chi_Minh)");
  cmd->callback([&ctx, o] {
    auto date = Date::parse_iso(o->as_of);
    if (!date) throw CommandFailed(kExitUsage, "--as-of must be a date YYYY-MM-DD, not '" + o->as_of + "'");
    std::shared_ptr<const schema::SchemaSet> schemas;
    auto pub = publication(ctx, &schemas);
    const auto* schema = schemas->find(o->entity);
    if (!schema) throw CommandFailed(kExitUsage, "'" + o->entity + "' is not a canonical entity");
    const sync::ConsumerProfile* consumer = nullptr;
    if (o->consumer.empty()) {
      auto all = pub->consumers();
      if (all.size() != 1) throw CommandFailed(kExitUsage, "several consumers are configured: name one with --consumer");
      consumer = all[0];
    } else {
      consumer = pub->consumer(o->consumer);
      if (!consumer) throw CommandFailed(kExitUsage, "no consumer '" + o->consumer + "' in " + pub->file());
    }
    const auto* profile = consumer->entity(o->entity);
    if (!profile) throw CommandFailed(kExitFailed, "the profile of '" + consumer->name + "' does not include " + o->entity);

    // Valid time and transaction time: records_as_of (migration 0020), which cut-off reports
    // read too. Transaction time is what is known now, or with --as-known what had been
    // recorded by the end of that day. An entity with one record in force per owner (a
    // student's enrollment) lists that one, chosen as the EMIS report chooses it
    // (in_force_per_owner, migration 0035).
    const std::string known_by =
        "case when $4 then (($1::date + 1)::timestamp at time zone $3) else 'infinity'::timestamptz end";
    std::string sql =
        schema->one_in_force_per.empty()
            ? "select v.id::text, v.version, v.data::text, v.valid_from::text, v.valid_to::text"
              " from records_as_of($2, $1::date, " + known_by + ", $5) v order by v.id"
            : "select v.id::text, v.version, v.data::text, v.valid_from::text, v.valid_to::text"
              " from in_force_per_owner($2, $5, $1::date, " + known_by + ") v order by v.id";
    pqxx::result rows;
    std::vector<RelatedInForce> related;  // ndjson: what was in force that day for each record
    try {
      rows = ctx.pg().with_transaction([&](pqxx::work& tx) {
        if (o->format == "ndjson")
          related = related_in_force(tx, *schemas, o->entity, date->iso(), o->as_known, o->timezone);
        if (!schema->one_in_force_per.empty())
          return tx.exec_params(sql, date->iso(), o->entity, o->timezone, o->as_known, schema->one_in_force_per);
        return tx.exec_params(sql, date->iso(), o->entity, o->timezone, o->as_known, schema->effective_dated);
      });
    } catch (const pqxx::data_exception& e) {
      throw CommandFailed(kExitUsage, "bad --timezone '" + o->timezone + "'");
    }

    std::vector<std::string> columns;
    for (const auto& f : schema->fields)
      if (profile->allows(*schema, f.name) &&
          !(profile->personal_id_fields.count(f.name) && profile->personal_ids == sync::IdTreatment::kOmit))
        columns.push_back(f.name);
    if (o->format == "csv") {
      std::string header = "id,version";
      for (const auto& c : columns) header += "," + c;
      std::cout << header << "\n";
    }
    for (const auto& r : rows) {
      rapidjson::Document data;
      data.Parse(r[2].c_str());
      std::string projected = pub->project(*profile, *schema, data);
      if (o->format == "ndjson") {
        json::JsonWriter w;
        w.begin_object().kv("id", r[0].c_str()).kv("entity", o->entity).kv("version", r[1].as<int>())
            .kv("as_of", date->iso()).key("data").raw(projected);
        if (!related.empty()) write_in_force(w, related, r[0].c_str(), *pub, *consumer, *schemas);
        w.end_object();
        std::cout << w.str() << "\n";
        continue;
      }
      rapidjson::Document p;
      p.Parse(projected.c_str());
      std::string line = csv_text(r[0].c_str()) + "," + r[1].c_str();
      for (const auto& c : columns) {
        auto m = p.FindMember(c.c_str());
        line += "," + csv_cell(m == p.MemberEnd() ? nullptr : &m->value);
      }
      std::cout << line << "\n";
    }
    std::cerr << rows.size() << " " << o->entity << " records as of " << date->iso() << " (profile " << consumer->name
              << ")\n";
  });
}

}  // namespace hub::cli
