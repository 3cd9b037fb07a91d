// The pull side of the warehouse sync. Every answer goes through the caller's publication
// profile (config/publication.yaml, selected by the token's partner name): a partner with a
// pull scope but no profile gets nothing, and a field the profile does not allow never leaves.

#include "hub/http/sync_handlers.h"

#include <regex>

#include "hub/common/json.h"
#include "hub/http/problem.h"
#include "hub/sync/change_feed.h"

namespace hub {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 5000;

struct PullScope {
  std::shared_ptr<const mapping::Snapshot> snapshot;  // keeps `schema` alive
  std::shared_ptr<const sync::Publication> publication;
  const schema::EntitySchema* schema = nullptr;
  const sync::EntityProfile* profile = nullptr;
};

PullScope authorize(HttpRequest& req, Components& c, const std::string& entity) {
  PullScope s;
  s.snapshot = c.mappings.current();
  s.schema = s.snapshot->schemas ? s.snapshot->schemas->find(entity) : nullptr;
  if (!s.schema)
    fail(ProblemKind::kBadRequest, "sync.unknown_entity", "'" + entity + "' is not a canonical entity", "entity");
  req.require_scope("pull:" + entity);
  auto caller = caller_profile(req, c, entity);
  s.publication = std::move(caller.publication);
  s.profile = caller.profile;
  // The feed serves whole entities; filtering it by unit would make cursors skip silently.
  if (!req.principal->units.empty())
    fail(ProblemKind::kForbidden, "publication.units",
         "partner '" + req.principal->name + "' is limited to units; the sync API serves whole entities");
  return s;
}

long long seq_param(HttpRequest& req, const std::string& name) {
  if (!req.query.count(name)) return 0;
  const std::string& v = req.query[name];
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos);
    if (pos == v.size() && n >= 0 && !v.empty() && v[0] != '+' && v[0] != ' ') return n;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kBadRequest, "request.parameter", name + " must be a change sequence number (0 or more)", name);
}

int limit_param(HttpRequest& req) {
  if (!req.query.count("limit")) return kDefaultLimit;
  const std::string& v = req.query["limit"];
  try {
    size_t pos = 0;
    int n = std::stoi(v, &pos);
    if (pos == v.size() && n >= 1 && n <= kMaxLimit && v[0] != '+' && v[0] != ' ') return n;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kBadRequest, "request.parameter",
       "limit must be a whole number from 1 to " + std::to_string(kMaxLimit), "limit");
}

bool wants_ndjson(HttpRequest& req) {
  return req.header("Accept").find("application/x-ndjson") != std::string::npos;
}

const std::regex kUuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
const std::regex kTimestamp(
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$");

// One record's current data as the consumer sees it.
void write_record(json::JsonWriter& w, const pqxx::row& r, const PullScope& s, const std::string& entity) {
  rapidjson::Document d;
  d.Parse(r[2].c_str());
  w.begin_object().kv("id", r[0].c_str()).kv("entity", entity).kv("version", r[1].as<int>())
      .kv("updated_at", r[3].c_str()).key("data");
  s.publication->project(*s.profile, *s.schema, d, w);
  if (!r[4].is_null()) w.kv("valid_from", r[4].c_str());
  if (!r[5].is_null()) w.kv("valid_to", r[5].c_str());
  w.end_object();
}

const char* kRecordColumns =
    "select id::text, version, data::text,"
    " to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " valid_from::text, valid_to::text, coalesce(merged_into::text, '') from golden_record";

}  // namespace

std::string shared_page_sql(bool after_cursor) {
  const std::string where =
      std::string(kRecordColumns) + " where entity = $1 and merged_into is null and updated_at >= $2::timestamptz";
  // The row comparison only after the first page: the index scan starts from its bound rather
  // than from updated_since, so with the first page's bound (-infinity) it would walk every
  // older record (0.5 s at 5 million students).
  if (!after_cursor) return where + " order by updated_at, id limit $3";
  return where + " and (updated_at, id) > ($3::timestamptz, $4::uuid) order by updated_at, id limit $5";
}

namespace {
constexpr const char* kConsoleConsumer = "console-staff";
}  // namespace

CallerProfile caller_profile(HttpRequest& req, Components& c, const std::string& entity) {
  CallerProfile p;
  p.publication = c.publication.publication;
  if (!p.publication)
    fail(ProblemKind::kUnavailable, "publication.unavailable",
         "the publication profiles could not be loaded, so nothing is published; see the hub's log");
  // People of the console share one profile (config/publication.yaml, console-staff).
  p.consumer = p.publication->consumer(req.principal->user.empty() ? req.principal->name : kConsoleConsumer);
  if (!p.consumer)
    fail(ProblemKind::kForbidden, "publication.no_profile",
         "partner '" + req.principal->name + "' has no publication profile in " + p.publication->file());
  p.profile = p.consumer->entity(entity);
  if (!p.profile)
    fail(ProblemKind::kForbidden, "publication.entity",
         "the publication profile of '" + req.principal->name + "' does not include " + entity);
  return p;
}

void register_sync_routes(Router& router, Components& c) {
  router.add({"GET", "/v1/changes/{entity}", true, [&c](HttpRequest& req) {
                const std::string entity = req.params["entity"];
                auto s = authorize(req, c, entity);
                long long after = seq_param(req, "after");
                int limit = limit_param(req);
                auto rows = c.pg.with_transaction([&](pqxx::work& tx) {
                  if (auto last = sync::cursor_ahead(tx, after))
                    fail(ProblemKind::kConflict, "sync.cursor_ahead",
                         "after=" + std::to_string(after) + " is past the change log, whose last change kept is " +
                             std::to_string(*last) +
                             ": the hub's database was restored to an earlier point, so changes you read may be "
                             "gone; replay from a snapshot (or after=0) instead of going on from this cursor",
                         "after");
                  if (auto gone = sync::cursor_expired(tx, after))
                    fail(ProblemKind::kConflict, "sync.cursor_expired",
                         "changes after after=" + std::to_string(after) + " up to " + std::to_string(*gone) +
                             " were in months of the change log the operators detached: start again from a "
                             "snapshot, then read from after=" + std::to_string(*gone),
                         "after");
                  return sync::read_changes(tx, {entity}, after, limit + 1);
                });
                bool more = static_cast<int>(rows.size()) > limit;
                if (more) rows.pop_back();
                long long next = rows.empty() ? after : rows.back().seq;
                std::string next_url = "/v1/changes/" + entity + "?after=" + std::to_string(next) +
                                       "&limit=" + std::to_string(limit);
                HttpResponse res;
                if (wants_ndjson(req)) {
                  res.content_type = "application/x-ndjson";
                  for (const auto& row : rows) {
                    json::JsonWriter w;
                    sync::write_change(w, row, *s.publication, *s.profile, *s.schema);
                    res.body += w.str();
                    res.body += '\n';
                  }
                } else {
                  json::JsonWriter w;
                  w.begin_object().kv("entity", entity).kv("after", after).key("changes").begin_array();
                  for (const auto& row : rows) sync::write_change(w, row, *s.publication, *s.profile, *s.schema);
                  w.end_array().kv("next_after", next).kv("has_more", more).kv("next", next_url).end_object();
                  res.body = w.str();
                }
                // The cursor travels in headers too, so NDJSON readers need not parse a trailer.
                res.headers["Next-After"] = std::to_string(next);
                res.headers["Has-More"] = more ? "true" : "false";
                if (more) res.headers["Link"] = "<" + next_url + ">; rel=\"next\"";
                return res;
              }});

  router.add({"GET", "/v1/shared/{entity}/{id}", true, [&c](HttpRequest& req) {
                const std::string entity = req.params["entity"];
                const std::string id = req.params["id"];
                auto s = authorize(req, c, entity);
                if (!std::regex_match(id, kUuid))
                  fail(ProblemKind::kNotFound, "record.not_found", "no " + entity + " " + id);
                std::string body, merged_into;
                bool found = c.pg.with_transaction([&](pqxx::work& tx) {
                  auto rows = tx.exec_params(std::string(kRecordColumns) + " where id = $1::uuid and entity = $2", id,
                                             entity);
                  if (rows.empty()) return false;
                  json::JsonWriter w;
                  write_record(w, rows[0], s, entity);
                  body = w.str();
                  merged_into = rows[0][6].c_str();
                  return true;
                });
                if (!found) fail(ProblemKind::kNotFound, "record.not_found", "no " + entity + " " + id);
                if (!merged_into.empty()) {
                  HttpResponse r{308, "application/json", body, {}};
                  r.headers["Location"] = "/v1/shared/" + entity + "/" + merged_into;
                  return r;
                }
                return HttpResponse{200, "application/json", body, {}};
              }});

  router.add({"GET", "/v1/shared/{entity}", true, [&c](HttpRequest& req) {
                const std::string entity = req.params["entity"];
                auto s = authorize(req, c, entity);
                int limit = limit_param(req);
                std::string since = req.query.count("updated_since") ? req.query["updated_since"] : "-infinity";
                if (req.query.count("updated_since") && !std::regex_match(since, kTimestamp))
                  fail(ProblemKind::kBadRequest, "request.parameter",
                       "updated_since must be an ISO-8601 date or time, e.g. 2025-09-30 or 2025-09-30T17:00:00Z",
                       "updated_since");
                // Keyset cursor "<updated_at>,<id>" of the last record of the previous page.
                std::string cursor_at = "-infinity", cursor_id = "00000000-0000-0000-0000-000000000000";
                if (req.query.count("cursor")) {
                  const std::string& cur = req.query["cursor"];
                  auto comma = cur.find(',');
                  if (comma == std::string::npos || !std::regex_match(cur.substr(0, comma), kTimestamp) ||
                      !std::regex_match(cur.substr(comma + 1), kUuid))
                    fail(ProblemKind::kBadRequest, "request.parameter", "cursor must be a next_cursor value of an earlier page",
                         "cursor");
                  cursor_at = cur.substr(0, comma);
                  cursor_id = cur.substr(comma + 1);
                }
                pqxx::result rows;
                try {
                  rows = c.pg.with_transaction([&](pqxx::work& tx) {
                    if (!req.query.count("cursor")) return tx.exec_params(shared_page_sql(false), entity, since, limit + 1);
                    return tx.exec_params(shared_page_sql(true), entity, since, cursor_at, cursor_id, limit + 1);
                  });
                } catch (const pqxx::data_exception&) {  // e.g. 2025-02-30: the pattern cannot see it
                  fail(ProblemKind::kBadRequest, "request.parameter", "updated_since is not a real date or time",
                       "updated_since");
                }
                bool more = static_cast<int>(rows.size()) > limit;
                int n = more ? limit : static_cast<int>(rows.size());
                std::string next_cursor = n > 0 ? std::string(rows[n - 1][3].c_str()) + "," + rows[n - 1][0].c_str() : "";
                HttpResponse res;
                if (wants_ndjson(req)) {
                  res.content_type = "application/x-ndjson";
                  for (int i = 0; i < n; ++i) {
                    json::JsonWriter w;
                    write_record(w, rows[i], s, entity);
                    res.body += w.str();
                    res.body += '\n';
                  }
                } else {
                  json::JsonWriter w;
                  w.begin_object().kv("entity", entity).key("records").begin_array();
                  for (int i = 0; i < n; ++i) write_record(w, rows[i], s, entity);
                  w.end_array().kv("has_more", more);
                  if (more) w.kv("next_cursor", next_cursor);
                  w.end_object();
                  res.body = w.str();
                }
                res.headers["Has-More"] = more ? "true" : "false";
                if (more) res.headers["Next-Cursor"] = next_cursor;
                return res;
              }});
}

}  // namespace hub
