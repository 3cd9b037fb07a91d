// hub: the education data hub server. Reads the configuration, applies migrations, builds the
// components in one place and serves HTTP until SIGTERM/SIGINT, then drains and exits 0.

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "hub/common/config.h"
#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/common/redis.h"
#include "hub/http/authenticator.h"
#include "hub/http/review_handlers.h"
#include "hub/http/routes.h"
#include "hub/http/server.h"
#include "hub/ingest/commune_decision.h"
#include "hub/ingest/ingest_service.h"
#include "hub/ingest/pending_release.h"
#include "hub/ingest/school_lifecycle.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/resolve/probabilistic_resolver.h"
#include "hub/store/record_queries.h"
#include "hub/auth/accounts.h"
#include "hub/store/audit_log.h"
#include "hub/store/migrations.h"
#include "hub/store/partner_store.h"
#include "hub/store/partitions.h"
#include "hub/store/pg_pool.h"
#include "hub/sync/outbox_worker.h"
#include "hub/sync/publication.h"

namespace {

constexpr int kMigrationWaitSeconds = 30;

// PostgreSQL may still be starting (compose, system boot): retry for a while, then give up.
void migrate_with_retry(const hub::Config& config) {
  for (int waited = 0;; ++waited) {
    try {
      auto report = hub::apply_migrations(config.postgres.url);
      for (const auto& name : report.applied) hub::log::info("migration applied", {{"name", name}});
      return;
    } catch (const pqxx::broken_connection& e) {
      if (waited >= kMigrationWaitSeconds) throw;
      if (waited == 0)
        hub::log::warn("waiting for PostgreSQL", {{"url", hub::redact_url(config.postgres.url)}});
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Education data hub server"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (default: $HUB_CONFIG or config/hub.yaml)");
  app.set_version_flag("--version", "edu-data-hub 0.1.0");
  CLI11_PARSE(app, argc, argv);

  hub::Config config;
  try {
    config = hub::Config::load(config_path);
  } catch (const hub::ConfigError& e) {
    std::cerr << "hub: configuration error in " << e.file << (e.key.empty() ? "" : " at " + e.key)
              << ": " << e.what() << "\n";
    return 2;
  }
  hub::log::init(config.log.level);

  // Signals are taken by sigwait below; block them before any thread exists so none of the
  // server's threads is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    migrate_with_retry(config);
  } catch (const std::exception& e) {
    hub::log::error("cannot apply migrations", {{"error", e.what()}});
    return 1;
  }

  hub::PgPool pg(config.postgres.url, config.postgres.pool_size,
                 std::chrono::milliseconds(config.postgres.acquire_timeout_ms));
  hub::RedisPool redis(config.redis.url, config.redis.pool_size,
                       std::chrono::milliseconds(config.redis.timeout_ms));
  hub::AuditLog audit(pg);
  hub::PartnerStore partners(pg, config.auth.default_token_ttl_days);
  hub::Authenticator auth(partners, audit, redis, config);
  hub::mapping::MappingRegistry mappings(config.mappings.dir);
  auto loaded = mappings.reload();
  if (!loaded.errors.empty() && mappings.current()->generation == 0) {
    // Without catalogs and schemas nothing can be mapped: refuse to start half-blind.
    hub::log::error("cannot load catalogs or schemas", {{"error", loaded.errors.front().message}});
    return 1;
  }
  for (const auto& e : loaded.errors) hub::log::error("mapping not loaded", {{"error", e.message}});
  hub::log::info("mappings loaded", {{"count", std::to_string(loaded.mappings_loaded)},
                                     {"dir", config.mappings.dir}});
  auto matching = hub::resolve::load_matching_rules(config.mappings.dir + "/matching");
  if (!matching) {
    // Without its matching rules the hub could create duplicates: refuse to start.
    hub::log::error("cannot load matching rules", {{"error", matching.error().message}});
    return 1;
  }
  hub::resolve::ResolverOptions resolve_options;
  resolve_options.locks.ttl = std::chrono::milliseconds(config.resolve.lock_ttl_ms);
  resolve_options.locks.max_wait = std::chrono::milliseconds(config.resolve.lock_wait_ms);
  resolve_options.hold_after_lock = std::chrono::milliseconds(config.resolve.hold_after_lock_ms);
  hub::resolve::ProbabilisticResolver resolver(std::move(matching.value()), redis, resolve_options);
  hub::IngestService ingest(pg, mappings, resolver, config);
  hub::PendingRelease pending_release(pg, mappings, resolver, config);
  ingest.set_after_chunk([&pending_release] { pending_release.wake(); });
  hub::RecordQueries records(pg);
  // Publication profiles: without them nothing is published (the sync routes answer 503).
  hub::sync::LoadedPublication publication;
  if (auto p = hub::sync::Publication::load(config.sync.publication, mappings.current()->schemas.get())) {
    publication.publication = p.value();
  } else {
    publication.error = p.error().message;
    hub::log::error("publication profiles not loaded; nothing is published", {{"error", publication.error}});
  }
  hub::Components components{config, pg, redis, audit, partners, mappings, ingest, records, publication};
  hub::Router router;
  hub::resolve::ReviewQueue review(pg, resolver.rules());
  hub::CommuneDecision communes(pg, mappings, resolver, config);
  review.set_commune_decider([&communes](long long id, const std::string& commune, const std::string& actor) {
    return communes.decide(id, commune, actor);
  });
  review.set_school_decider([&pg, &mappings](long long id, const std::string& choice, const std::string& actor) {
    auto snapshot = mappings.current();
    auto r = hub::SchoolEvents(pg, *snapshot).decide_item(id, choice, actor, "api");
    if (!r) return hub::Result<std::string>(r.error());
    hub::json::JsonWriter w;
    w.begin_object().kv("id", id).kv("status", "resolved").kv("decision", choice).kv("plan", r->plan_id)
        .kv("batch", r->batch_id).end_object();
    return hub::Result<std::string>(w.str());
  });
  hub::auth::Accounts accounts(pg, redis, config.auth.session_seconds,
                               {config.auth.login_account_limit, config.auth.login_address_limit,
                                config.auth.login_window_seconds});
  hub::register_all_routes(router, components, review, accounts);
  hub::HttpServer server(config, router, auth);
  server.set_accounts(&accounts);

  try {
    server.start();
  } catch (const std::exception& e) {
    hub::log::error("cannot listen", {{"listen", config.http.host + ":" + std::to_string(config.http.port)},
                                      {"error", e.what()}});
    return 1;
  }
  hub::PartitionKeeper partitions(pg);  // this month and the next ones exist before any write
  partitions.start();
  ingest.start_workers(config.ingest.workers);
  pending_release.start();
  // Push connectors (config/publication.yaml): each consumer's changes to its sink.
  std::unique_ptr<hub::sync::OutboxWorker> outbox;
  if (config.sync.push && publication.publication) {
    outbox = std::make_unique<hub::sync::OutboxWorker>(config, publication.publication, mappings.current()->schemas);
    int started = outbox->start();
    if (started > 0) hub::log::info("sync connectors started", {{"count", std::to_string(started)}});
  }
  hub::log::info("hub listening",
                 {{"listen", config.http.host + ":" + std::to_string(config.http.port)},
                  {"threads", std::to_string(config.http.threads)},
                  {"postgres", hub::redact_url(config.postgres.url)},
                  {"redis", config.redis.url},
                  {"config", config.file}});

  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      auto report = mappings.reload();
      for (const auto& e : report.errors) hub::log::error("mapping not reloaded", {{"error", e.message}});
      hub::log::info("mappings reloaded", {{"loaded", std::to_string(report.mappings_loaded)},
                                           {"errors", std::to_string(report.errors.size())},
                                           {"generation", std::to_string(report.generation)}});
      continue;
    }
    hub::log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                     {"in_flight", std::to_string(server.in_flight())}});
    // Readiness turns 503 and the workers stop claiming at once; what is in flight finishes.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.http.drain_timeout_ms);
    server.begin_drain();
    ingest.request_stop();
    bool drained = server.drain_and_stop(deadline);
    // A background batch finishes its chunk and leaves the rest to the next process to claim it.
    drained = ingest.stop_workers(deadline) && drained;
    if (!drained) {
      // Past http.drain_timeout_ms: exit anyway. An uncommitted chunk rolls back with the
      // connection and its batch is resumed from its last committed chunk, so nothing is lost.
      hub::log::warn("drain timed out; exiting with work unfinished",
                     {{"in_flight", std::to_string(server.in_flight())},
                      {"drain_timeout_ms", std::to_string(config.http.drain_timeout_ms)}});
      std::_Exit(0);
    }
    pending_release.stop();  // a record is released in one transaction: none is half done
    if (outbox) outbox->stop();  // a batch in flight is sent again by the next run: never lost
    hub::log::info("stopped");
    return 0;
  }
}
