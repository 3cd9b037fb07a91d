#include "hub/store/partner_store.h"

#include <algorithm>
#include <regex>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/common/scopes.h"

namespace hub {
namespace {

constexpr const char* kPartnerColumns =
    "p.id, p.name, p.display_name, p.scopes::text, p.units::text, p.rate_per_second, p.burst,"
    " to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(p.revoked_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " (select count(*) from partner_token t where t.partner_id = p.id and t.revoked_at is null"
    "   and (t.expires_at is null or t.expires_at > now()))";

Partner partner_from_row(const pqxx::row& r) {
  Partner p;
  p.id = r[0].as<long long>();
  p.name = r[1].c_str();
  p.display_name = r[2].c_str();
  p.scopes = json::parse_string_array(r[3].c_str());
  p.units = json::parse_string_array(r[4].c_str());
  if (!r[5].is_null()) p.rate_per_second = r[5].as<double>();
  if (!r[6].is_null()) p.burst = r[6].as<double>();
  p.created_at = r[7].c_str();
  if (!r[8].is_null()) p.revoked_at = r[8].c_str();
  p.active_tokens = r[9].as<int>();
  return p;
}

std::optional<Partner> load(pqxx::work& tx, const std::string& name) {
  auto rows = tx.exec_params(std::string("select ") + kPartnerColumns +
                                 " from partner p where p.name = $1",
                             name);
  if (rows.empty()) return std::nullopt;
  return partner_from_row(rows[0]);
}

Error not_found(const std::string& name) {
  return make_error("partner.not_found", "no partner named '" + name + "'", "name");
}

Status check_all(const std::vector<std::string>& scopes, const std::vector<std::string>& units) {
  for (const auto& s : scopes)
    if (auto st = check_scope(s); !st) return st;
  for (const auto& u : units)
    if (auto st = check_unit(u); !st) return st;
  return Status::Ok();
}

void add_unique(std::vector<std::string>& list, const std::vector<std::string>& more) {
  for (const auto& m : more)
    if (std::find(list.begin(), list.end(), m) == list.end()) list.push_back(m);
}

void remove_all(std::vector<std::string>& list, const std::vector<std::string>& gone) {
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const std::string& s) {
                              return std::find(gone.begin(), gone.end(), s) != gone.end();
                            }),
             list.end());
}

}  // namespace

std::string PartnerStore::new_token() {
  return "hub_" + crypto::base64url(crypto::random_bytes(32));
}

IssuedToken PartnerStore::issue_token(pqxx::work& tx, long long partner_id,
                                      std::optional<int> days, const Actor& actor) {
  IssuedToken t;
  t.token = new_token();
  int ttl = days.value_or(default_ttl_days_);
  auto row = tx.exec_params1(
      "insert into partner_token(partner_id, token_hash, expires_at, created_by)"
      " values ($1, $2, case when $3::int > 0 then now() + make_interval(days => $3::int) end, $4)"
      " returning id, to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
      partner_id, pqxx::binarystring(crypto::sha256(t.token)), ttl, actor.name);
  t.token_id = row[0].as<long long>();
  if (!row[1].is_null()) t.expires_at = row[1].c_str();
  return t;
}

Result<std::pair<Partner, IssuedToken>> PartnerStore::add(const NewPartner& np,
                                                          const Actor& actor) {
  static const std::regex kName("^[a-z0-9][a-z0-9_-]{1,62}$");
  if (!std::regex_match(np.name, kName))
    return make_error("partner.name_invalid",
                      "a partner name is 2 to 63 characters: lower-case letters, digits, '-' "
                      "and '_', starting with a letter or digit",
                      "name");
  if (auto st = check_all(np.scopes, np.units); !st) return st.error();
  if (np.expires_in_days && *np.expires_in_days < 0)
    return make_error("token.expiry_invalid", "the expiry must be zero or more days", "expires");
  return pool_.with_transaction([&](pqxx::work& tx) -> Result<std::pair<Partner, IssuedToken>> {
    auto inserted = tx.exec_params(
        "insert into partner(name, display_name, scopes, units, rate_per_second, burst)"
        " values ($1, $2, $3::jsonb, $4::jsonb, $5, $6) on conflict (name) do nothing returning id",
        np.name, np.display_name, json::string_array(np.scopes), json::string_array(np.units),
        np.rate_per_second ? std::to_string(*np.rate_per_second).c_str() : nullptr,
        np.burst ? std::to_string(*np.burst).c_str() : nullptr);
    if (inserted.empty())
      return make_error("partner.exists", "a partner named '" + np.name + "' already exists", "name");
    long long id = inserted[0][0].as<long long>();
    IssuedToken token = issue_token(tx, id, np.expires_in_days, actor);
    json::JsonWriter detail;
    detail.begin_object().key("scopes").strings(np.scopes).key("units").strings(np.units)
        .kv("token_id", token.token_id).end_object();
    AuditLog::record(tx, actor.name, "partner.add", np.name, actor.source, detail.str());
    return std::make_pair(*load(tx, np.name), token);
  });
}

std::vector<Partner> PartnerStore::list() {
  return pool_.with_transaction([&](pqxx::work& tx) {
    std::vector<Partner> out;
    for (const auto& r : tx.exec(std::string("select ") + kPartnerColumns +
                                 " from partner p order by p.name"))
      out.push_back(partner_from_row(r));
    return out;
  });
}

Result<Partner> PartnerStore::find(const std::string& name) {
  return pool_.with_transaction([&](pqxx::work& tx) -> Result<Partner> {
    auto p = load(tx, name);
    if (!p) return not_found(name);
    return *p;
  });
}

Result<IssuedToken> PartnerStore::rotate(const std::string& name, int grace_seconds,
                                         std::optional<int> expires_in_days, const Actor& actor) {
  if (grace_seconds < 0)
    return make_error("token.grace_invalid", "the grace period must be zero or more seconds", "grace");
  return pool_.with_transaction([&](pqxx::work& tx) -> Result<IssuedToken> {
    auto p = load(tx, name);
    if (!p) return not_found(name);
    if (p->revoked_at)
      return make_error("partner.revoked", "partner '" + name + "' is revoked; add a new partner",
                        "name");
    // Older tokens end at now()+grace, or earlier if they were due to expire before that.
    tx.exec_params(
        "update partner_token set expires_at = least(coalesce(expires_at, 'infinity'),"
        " now() + make_interval(secs => $2::int))"
        " where partner_id = $1 and revoked_at is null",
        p->id, grace_seconds);
    IssuedToken token = issue_token(tx, p->id, expires_in_days, actor);
    json::JsonWriter detail;
    detail.begin_object().kv("grace_seconds", grace_seconds).kv("token_id", token.token_id).end_object();
    AuditLog::record(tx, actor.name, "token.rotate", name, actor.source, detail.str());
    return token;
  });
}

Result<Partner> PartnerStore::revoke(const std::string& name, const Actor& actor) {
  return pool_.with_transaction([&](pqxx::work& tx) -> Result<Partner> {
    auto p = load(tx, name);
    if (!p) return not_found(name);
    tx.exec_params("update partner set revoked_at = coalesce(revoked_at, now()), updated_at = now() where id = $1",
                   p->id);
    tx.exec_params("update partner_token set revoked_at = now() where partner_id = $1 and revoked_at is null",
                   p->id);
    AuditLog::record(tx, actor.name, "partner.revoke", name, actor.source);
    return *load(tx, name);
  });
}

Result<Partner> PartnerStore::change_scopes(const std::string& name, const ScopeChange& change,
                                            const Actor& actor) {
  if (auto st = check_all(change.add_scopes, change.add_units); !st) return st.error();
  return pool_.with_transaction([&](pqxx::work& tx) -> Result<Partner> {
    auto p = load(tx, name);
    if (!p) return not_found(name);
    auto scopes = p->scopes;
    auto units = change.clear_units ? std::vector<std::string>{} : p->units;
    add_unique(scopes, change.add_scopes);
    remove_all(scopes, change.remove_scopes);
    add_unique(units, change.add_units);
    remove_all(units, change.remove_units);
    tx.exec_params("update partner set scopes = $2::jsonb, units = $3::jsonb, updated_at = now() where id = $1",
                   p->id, json::string_array(scopes), json::string_array(units));
    json::JsonWriter detail;
    detail.begin_object().key("before").begin_object().key("scopes").strings(p->scopes)
        .key("units").strings(p->units).end_object()
        .key("after").begin_object().key("scopes").strings(scopes).key("units").strings(units)
        .end_object().end_object();
    AuditLog::record(tx, actor.name, "partner.scope", name, actor.source, detail.str());
    return *load(tx, name);
  });
}

std::optional<TokenGrant> PartnerStore::find_by_token_hash(const std::string& sha256) {
  return pool_.with_transaction([&](pqxx::work& tx) -> std::optional<TokenGrant> {
    auto rows = tx.exec_params(
        std::string("select ") + kPartnerColumns +
            ", t.id, extract(epoch from t.expires_at), t.token_hash"
            " from partner_token t join partner p on p.id = t.partner_id"
            " where t.token_hash = $1 and t.revoked_at is null and p.revoked_at is null"
            "   and (t.expires_at is null or t.expires_at > now())",
        pqxx::binarystring(sha256));
    if (rows.empty()) return std::nullopt;
    // The index found the row by hash; compare again in constant time as a matter of policy.
    pqxx::binarystring stored(rows[0][12]);
    if (!crypto::constant_time_equal(stored.str(), sha256)) return std::nullopt;
    TokenGrant g;
    g.partner = partner_from_row(rows[0]);
    g.token_id = rows[0][10].as<long long>();
    if (!rows[0][11].is_null()) g.expires_at_epoch = rows[0][11].as<double>();
    return g;
  });
}

}  // namespace hub
