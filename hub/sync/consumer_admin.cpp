#include "hub/sync/consumer_admin.h"

#include <algorithm>
#include <map>

#include "hub/common/json.h"
#include "hub/store/audit_log.h"

namespace hub::sync {
namespace {

void set_state(PgPool& pg, const std::string& consumer, const std::string& action, const std::string& sql, long long seq,
               const std::string& detail, const SyncActor& actor) {
  pg.with_transaction([&](pqxx::work& tx) {
    tx.exec_params("insert into sync_consumer(name) values ($1) on conflict do nothing", consumer);
    tx.exec_params(sql, consumer, seq);
    AuditLog::record(tx, actor.name, action, consumer, actor.source, detail);
  });
}

}  // namespace

std::vector<ConsumerStatus> consumer_statuses(PgPool& pg, const Publication* publication) {
  std::vector<std::string> names;
  std::map<std::string, std::string> sinks;
  std::map<std::string, std::string> entities;  // name -> text[] literal
  if (publication)
    for (const auto* c : publication->consumers()) {
      if (!c->push) continue;
      names.push_back(c->name);
      sinks[c->name] = c->push->enabled ? c->push->sink : c->push->sink + " (disabled)";
      std::string ents = "{";
      for (const auto& [e, _] : c->entities) ents += (ents.size() > 1 ? "," : "") + e;
      entities[c->name] = ents + "}";
    }
  return pg.with_transaction([&](pqxx::work& tx) {
    std::map<std::string, ConsumerStatus> known;
    for (const auto& r : tx.exec(
             "select c.name, c.cursor, c.paused, c.attempts, coalesce(c.last_error, ''),"
             " coalesce(to_char(c.last_success_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
             " c.delivered from sync_consumer c order by c.name")) {
      ConsumerStatus s;
      s.name = r[0].c_str();
      s.cursor = r[1].as<long long>();
      s.state = r[2].as<bool>() ? "paused" : "";
      s.attempts = r[3].as<int>();
      s.last_error = r[4].c_str();
      s.last_success_at = r[5].c_str();
      s.delivered = r[6].as<long long>();
      known.emplace(s.name, s);
      if (std::find(names.begin(), names.end(), s.name) == names.end()) names.push_back(s.name);
    }
    std::vector<ConsumerStatus> out;
    for (const auto& name : names) {
      ConsumerStatus s;
      if (auto k = known.find(name); k != known.end()) s = k->second;
      s.name = name;
      s.sink = sinks.count(name) ? sinks[name] : "(not configured)";
      // Lag: changes of the consumer's entities not yet delivered.
      auto e = entities.find(name);
      s.lag = e == entities.end() || e->second == "{}"
                  ? tx.exec_params("select count(*) from change_log where seq > $1", s.cursor)[0][0].as<long long>()
                  : tx.exec_params("select count(*) from change_log where seq > $1 and entity = any($2::text[])", s.cursor,
                                   e->second)[0][0].as<long long>();
      // Dead letters of a consumer without a cursor row too (one that never delivered anything).
      s.dead_letters = tx.exec_params("select count(*) from sync_dead_letter where consumer = $1", name)[0][0].as<long long>();
      if (s.state.empty()) s.state = s.attempts > 0 ? "retrying" : s.lag > 0 ? "behind" : "current";
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::vector<DeadLetter> dead_letters(PgPool& pg, const std::string& consumer, int limit) {
  return pg.with_transaction([&](pqxx::work& tx) {
    std::vector<DeadLetter> out;
    for (const auto& r : tx.exec_params(
             "select id, consumer, first_seq, last_seq, changes, attempts, last_error,"
             " to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), idempotency_key"
             " from sync_dead_letter where ($1 = '' or consumer = $1) order by id desc limit $2",
             consumer, limit))
      out.push_back(DeadLetter{r[0].as<long long>(), r[1].c_str(), r[2].as<long long>(), r[3].as<long long>(),
                               r[4].as<int>(), r[5].as<int>(), r[6].c_str(), r[7].c_str(), r[8].c_str()});
    return out;
  });
}

void set_paused(PgPool& pg, const std::string& consumer, bool paused, const SyncActor& actor) {
  set_state(pg, consumer, paused ? "sync.pause" : "sync.resume",
            std::string("update sync_consumer set paused = ") + (paused ? "true" : "false") +
                ", updated_at = now() where name = $1 and $2::bigint is not null",
            0, "{}", actor);
}

void replay(PgPool& pg, const std::string& consumer, long long from, const SyncActor& actor) {
  json::JsonWriter d;
  d.begin_object().kv("from", from).end_object();
  set_state(pg, consumer, "sync.replay",
            "update sync_consumer set cursor = $2 - 1, attempts = 0, last_error = null, updated_at = now() where name = $1",
            from, d.str(), actor);
}

}  // namespace hub::sync
