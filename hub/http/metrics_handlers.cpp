#include "hub/http/metrics_handlers.h"

#include "hub/common/crypto.h"
#include "hub/common/metrics.h"
#include "hub/http/problem.h"

namespace hub {
namespace {

void gauge_head(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

// The figures of the database, for every hub process alike; "" when PostgreSQL does not answer.
std::string database_metrics(PgPool& pg) {
  return pg.with_transaction([](pqxx::work& tx) {
    // A scrape must not hang on a busy database: the probe thread answers /readyz too.
    tx.exec("set local statement_timeout = 2000");
    std::string out;
    gauge_head(out, "hub_ingest_records_total", "counter",
               "Records of finished batches by partner and outcome (from PostgreSQL: the same in every hub process).");
    for (const auto& r : tx.exec(
             "select p.name, kv.key, sum(kv.value::bigint) from inbox_batch b join partner p on p.id = b.partner_id,"
             " jsonb_each_text(b.counts) kv where kv.value ~ '^[0-9]+$' group by 1, 2 order by 1, 2"))
      out += "hub_ingest_records_total{partner=\"" + metrics::escape_label(r[0].c_str()) + "\",outcome=\"" +
             metrics::escape_label(r[1].c_str()) + "\"} " + r[2].c_str() + "\n";
    auto pending = tx.exec1(
        "select coalesce(sum(greatest(coalesce(record_count, 0) - next_index, 0)), 0), count(*),"
        " (select count(*) from inbox_batch where status = 'failed')"
        " from inbox_batch where status in ('received', 'processing')");
    gauge_head(out, "hub_ingest_pending_records", "gauge", "Records of queued or running batches not processed yet.");
    out += std::string("hub_ingest_pending_records ") + pending[0].c_str() + "\n";
    gauge_head(out, "hub_ingest_pending_batches", "gauge", "Batches queued or being processed.");
    out += std::string("hub_ingest_pending_batches ") + pending[1].c_str() + "\n";
    gauge_head(out, "hub_ingest_failed_batches", "gauge", "Batches that ended failed (hubctl batch list --status failed).");
    out += std::string("hub_ingest_failed_batches ") + pending[2].c_str() + "\n";
    gauge_head(out, "hub_review_open_items", "gauge", "Open review items by kind (match: doubtful matches; mapping: split communes).");
    std::map<std::string, std::string> kinds = {{"mapping", "0"}, {"match", "0"}};
    for (const auto& r : tx.exec("select kind, count(*) from review_item where status = 'open' group by kind"))
      kinds[r[0].c_str()] = r[1].c_str();
    for (const auto& [kind, n] : kinds) out += "hub_review_open_items{kind=\"" + metrics::escape_label(kind) + "\"} " + n + "\n";
    gauge_head(out, "hub_sync_consumer_lag_changes", "gauge", "Changes in the change log a push consumer has not acknowledged yet.");
    for (const auto& r : tx.exec(
             "select c.name, greatest((select coalesce(max(seq), 0) from change_log) - c.cursor, 0) from sync_consumer c order by 1"))
      out += "hub_sync_consumer_lag_changes{consumer=\"" + metrics::escape_label(r[0].c_str()) + "\"} " + r[1].c_str() + "\n";
    gauge_head(out, "hub_sync_dead_letters", "gauge", "Batches of changes given up on, per consumer (hubctl sync dead-letters).");
    for (const auto& r : tx.exec("select consumer, count(*) from sync_dead_letter group by 1 order by 1"))
      out += "hub_sync_dead_letters{consumer=\"" + metrics::escape_label(r[0].c_str()) + "\"} " + r[1].c_str() + "\n";
    gauge_head(out, "hub_postgres_lock_waits", "gauge", "Lock requests waiting in PostgreSQL now (pg_locks not granted).");
    out += std::string("hub_postgres_lock_waits ") + tx.exec1("select count(*) from pg_locks where not granted")[0].c_str() + "\n";
    return out;
  });
}

}  // namespace

void register_metrics_routes(Router& router, Components& c) {
  router.add({"GET", "/metrics", false, [&c](HttpRequest& req) {
                const std::string& token = c.config.metrics.token;
                if (token.empty()) fail(ProblemKind::kNotFound, "request.not_found", "no route for /metrics");
                std::string auth = req.header ? req.header("Authorization") : "";
                if (auth.rfind("Bearer ", 0) != 0 || !crypto::constant_time_equal(auth.substr(7), token)) {
                  Problem p{ProblemKind::kUnauthorized, "auth.token_invalid",
                            "GET /metrics needs 'Authorization: Bearer <metrics.token>'", "", -1, {}};
                  p.headers["WWW-Authenticate"] = "Bearer realm=\"edu-data-hub-metrics\"";
                  throw ProblemError(p);
                }
                std::string out = metrics::render();
                bool pg_up = true;
                try {
                  out += database_metrics(c.pg);
                } catch (const std::exception&) {
                  pg_up = false;
                }
                const bool redis_up = c.redis.ping();
                out += "# HELP hub_dependency_up Whether this process reached PostgreSQL and Redis during this scrape.\n"
                       "# TYPE hub_dependency_up gauge\n";
                out += std::string("hub_dependency_up{dependency=\"postgres\"} ") + (pg_up ? "1" : "0") + "\n";
                out += std::string("hub_dependency_up{dependency=\"redis\"} ") + (redis_up ? "1" : "0") + "\n";
                return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", out, {{"Cache-Control", "no-store"}}};
              },
              Lane::kProbe});
}

}  // namespace hub
