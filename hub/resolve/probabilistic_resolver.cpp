#include "hub/resolve/probabilistic_resolver.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/store/copy_rows.h"
#include "hub/model/ids.h"

namespace hub::resolve {
namespace {

// A record of this chunk created as new: later records of the chunk are compared with it too.
struct PendingNew {
  std::string entity;
  std::string id;
  Profile profile;
  std::vector<std::int64_t> blocks;
};

struct Profiled {
  Profile profile;
  std::vector<std::int64_t> blocks;
};

std::string source_key(const Candidate& c) { return c.entity + "\x1f" + c.source_id; }

struct Scope : ChunkScope {
  std::vector<std::unique_ptr<LockSet>> locks;
  // Blocks by hash alone: the entity's name is part of each hash (blocking_keys).
  std::unordered_set<std::int64_t> locked;  // what `locks` cover
  std::unordered_set<std::int64_t> fenced;  // blocks whose fencing row this chunk wrote
  std::vector<PendingNew> pending;
  std::unordered_map<std::int64_t, std::vector<std::size_t>> pending_by_block;  // block -> `pending` positions

  void add_pending(PendingNew p) {
    for (auto b : p.blocks) {
      auto& at = pending_by_block[b];
      if (at.empty() || at.back() != pending.size()) at.push_back(pending.size());
    }
    pending.push_back(std::move(p));
  }
  // Profiles as resolved, for remember(): by then references of later waves (a school code in
  // the enrollment) have been rewritten into record ids.
  std::map<const rapidjson::Value*, Profiled> profiles;
  // What claim() computed, by entity and source id: resolve() reuses the blocking keys (64
  // bits of SHA-256 each) when the profile came out the same.
  std::map<std::string, Profiled> claimed;
};

struct Work {
  std::size_t index;
  const MatchingRules* rules;
  Profile profile;
  std::vector<std::int64_t> blocks;
};

struct Stored {
  std::string id;
  Profile profile;
  bool same_partner = false;  // the partner already sent this record under another source id
};

struct Scored {
  const Stored* c;
  Score s;
  std::string deterministic;
  const DistinctRule* conflict;
};

void set_review(Resolution& r, const MatchingRules& rules, const Scored& s, const std::string& why) {
  r.review_candidate = s.c->id;
  r.score = s.s.total;
  json::JsonWriter w;
  w.begin_object().kv("code", "match." + why).kv("candidate", s.c->id).key("score").raw(s.s.to_json(rules)).end_object();
  r.reasons = w.str();
}

std::string pair_key(const std::string& a, const std::string& b) { return a < b ? a + "|" + b : b + "|" + a; }

using ByScore = std::map<std::string, std::vector<std::pair<std::size_t, Scored>>>;  // matched record -> (work, score)

// The records of one resolve() call that the matching rules cover, with their profiles and
// blocking keys (reused from claim() when the profile came out the same).
std::vector<Work> profile_records(const RuleSet& rules, const std::vector<Candidate>& cands, Scope& scope) {
  std::vector<Work> work;
  for (std::size_t i = 0; i < cands.size(); ++i) {
    auto it = rules.find(cands[i].entity);
    if (it == rules.end() || !cands[i].fields) continue;
    Work w{i, it->second.get(), make_profile(*it->second, *cands[i].fields, cands[i].related), {}};
    auto pre = scope.claimed.find(source_key(cands[i]));
    w.blocks = pre != scope.claimed.end() && pre->second.profile.values == w.profile.values
                   ? pre->second.blocks
                   : blocking_keys(*w.rules, w.profile);
    scope.profiles[cands[i].fields] = Profiled{w.profile, w.blocks};
    work.push_back(std::move(w));
  }
  return work;
}

// 1. Locks on every blocking key not yet held by this chunk (waves of one chunk share them),
//    ascending per entity. Keys taken by claim() are held already.
void lock_blocks(BlockLocks& locks, const std::vector<Work>& work, Scope& scope) {
  std::map<std::string, std::vector<std::int64_t>> wanted;
  for (const auto& w : work)
    for (auto b : w.blocks)
      if (!scope.locked.count(b)) wanted[w.rules->entity].push_back(b);
  // Waiting for a key while holding others is deadlock-free only in the global order. Keys
  // claim() took are out of that order, so a key it did not foresee (a profile value that a
  // reference rewrite changed) is taken only if free; otherwise the chunk is retried.
  const bool holding = !scope.locks.empty();
  for (auto& [entity, blocks] : wanted) {
    std::unique_ptr<LockSet> set;
    if (holding) {
      std::vector<std::string> keys;
      for (auto b : blocks) keys.push_back(BlockLocks::key_name(entity, b));
      auto got = locks.try_acquire(keys, set);
      scope.locks.push_back(std::move(set));  // released with the scope, whatever happens next
      if (std::find(got.begin(), got.end(), false) != got.end())
        throw ResolveRetry("a block lock of " + entity + " records is held by another chunk");
    } else {
      if (locks.acquire(entity, blocks, set) == BlockLocks::Outcome::kTimedOut)
        throw ResolveRetry("timed out waiting for the block locks of " + entity + " records");
      scope.locks.push_back(std::move(set));
    }
    for (auto b : blocks) scope.locked.insert(b);
  }
}

// 2. The fencing token, then a check that the locks are still ours (anyone who takes them after
//    that check draws a larger token), then every key's token must be older than ours. The row
//    locks taken here also serialise, in PostgreSQL, any two chunks resolving the same key,
//    whatever Redis says. One row per block hash (the entity is in the hash), in block order.
void fence_blocks(pqxx::work& tx, const ResolverOptions& options, const std::vector<Work>& work, Scope& scope) {
  std::map<std::int64_t, const std::string*> unique;
  for (const auto& w : work)
    for (auto b : w.blocks)
      if (!scope.fenced.count(b)) unique.try_emplace(b, &w.rules->entity);
  if (unique.empty()) return;
  auto drawn = std::chrono::steady_clock::now();
  long long token = tx.exec1("select nextval('resolve_fence_token')")[0].as<long long>();
  for (auto& set : scope.locks)
    if (!set->renew()) throw ResolveRetry("block locks expired before the fencing token was drawn");
  if (options.hold_after_lock.count() > 0) {
    // Fault injection (resolve.hold_after_lock_ms): the line tells a test the token is drawn.
    log::info("holding block locks after drawing the fencing token",
              {{"token", std::to_string(token)}, {"ms", std::to_string(options.hold_after_lock.count())}});
    std::this_thread::sleep_for(options.hold_after_lock);
  }
  json::JsonWriter keys;
  keys.begin_array();
  for (const auto& [b, entity] : unique) {
    keys.begin_object().kv("e", *entity).kv("b", static_cast<long long>(b)).end_object();
    scope.fenced.insert(b);
  }
  keys.end_array();
  auto fenced = tx.exec_params(
      "insert into resolve_fence(entity, block, token)"
      " select r.e, r.b, $2 from jsonb_to_recordset($1::jsonb) as r(e text, b bigint) order by r.b"
      " on conflict (block) do update set token = excluded.token, written_at = clock_timestamp()"
      " where resolve_fence.token < excluded.token returning 1",
      keys.str(), token);
  // A row deleted by clean_fences was written more than fence_horizon ago, after any older
  // token was drawn: a write this late could have slipped past a deleted row.
  if (std::chrono::steady_clock::now() - drawn > options.fence_horizon)
    throw ResolveRetry("fencing write came too late after the token was drawn");
  if (fenced.size() != unique.size()) {
    log::warn("fencing token refused: a newer lock holder resolved these records; the chunk is retried",
              {{"token", std::to_string(token)}, {"keys", std::to_string(unique.size())},
               {"refused", std::to_string(unique.size() - fenced.size())}});
    throw ResolveRetry("fencing token " + std::to_string(token) + " is older than the last writer's");
  }
  if (options.fence_clean_every > 0 && token % options.fence_clean_every == 0)
    ProbabilisticResolver::clean_fences(tx, options.fence_horizon);
}

// What step 3 read: stored candidates by id, the ids found per record of `work`, and the pairs
// a person said are not a match.
struct Stores {
  std::map<std::string, Stored> stored;
  std::vector<std::set<std::string>> found;
  std::set<std::string> excluded;
};

// 3. Candidates: stored records sharing a blocking key (a bounded number per key), plus the
//    records the exact resolver found, and the record itself for source-linked updates.
Stores load_candidates(pqxx::work& tx, const std::vector<Work>& work, const std::vector<Candidate>& cands,
                       const std::vector<Resolution>& out, ProbabilisticResolver::Counters& counters) {
  Stores c;
  c.found.resize(work.size());
  long long partner = cands[work.front().index].partner_id;
  json::JsonWriter q;
  q.begin_array();
  for (std::size_t k = 0; k < work.size(); ++k)
    for (auto b : work[k].blocks)
      q.begin_object().kv("i", static_cast<long long>(k)).kv("e", work[k].rules->entity)
          .kv("b", static_cast<long long>(b)).kv("n", work[k].rules->max_candidates_per_key).end_object();
  q.end_array();
  // Records shared by many keys of the chunk come back once with their profile (first part),
  // then every (record in the chunk, candidate) pair without it (second part).
  // Whether the partner links a candidate is asked by record id only (the partner is compared,
  // not searched): with the partner as a condition, statistics taken while only the school
  // list was loaded made the planner read every link of the partner through the primary key
  // (partner, entity, source id), once per candidate: chunks of 5-10 s as the store grew.
  for (const auto& row : tx.exec_params(
           "with q as (select * from jsonb_to_recordset($1::jsonb) as q(i int, e text, b bigint, n int)),"
           " c as materialized (select q.i, q.e, m.record_id from q cross join lateral"
           "   (select m.record_id from match_block m where m.block = q.b"
           "    order by m.added_at desc limit q.n) m),"
           " d as (select distinct record_id, e from c)"
           " select -1, d.record_id::text, p.profile::text,"
           "   coalesce((select bool_or(l.partner_id = $2) from source_link l where l.record_id = d.record_id and l.entity = d.e), false)"
           " from d join match_profile p on p.record_id = d.record_id"
           " union all select c.i, c.record_id::text, null, null from c",
           q.str(), partner)) {
    int i = row[0].as<int>();
    if (i < 0) {
      std::string id = row[1].c_str();
      c.stored[id] = Stored{id, Profile::from_json(row[2].c_str()), row[3].as<bool>()};
    } else {
      c.found[i].insert(row[1].c_str());
      counters.candidate_pairs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  counters.records.fetch_add(static_cast<long long>(work.size()), std::memory_order_relaxed);
  json::JsonWriter exact_ids, linked_ids;
  exact_ids.begin_array();
  linked_ids.begin_array();
  bool any_exact = false;
  for (const auto& w : work) {
    const Resolution& r = out[w.index];
    if (!r.record_id.empty() && !c.stored.count(r.record_id)) {
      exact_ids.value(r.record_id);
      any_exact = true;
    }
    if (r.kind == Resolution::Kind::kSourceLink) linked_ids.value(r.record_id);
  }
  exact_ids.end_array();
  linked_ids.end_array();
  if (any_exact)
    for (const auto& row : tx.exec_params(
             "select p.record_id::text, p.profile::text,"
             " coalesce((select bool_or(l.partner_id = $2) from source_link l where l.record_id = p.record_id), false)"
             " from match_profile p where p.record_id in (select jsonb_array_elements_text($1::jsonb)::uuid)",
             exact_ids.str(), partner))
      c.stored[row[0].c_str()] = Stored{row[0].c_str(), Profile::from_json(row[1].c_str()), row[2].as<bool>()};
  // "Not a match" decisions about the records already identified (source-linked updates).
  for (const auto& row : tx.exec_params(
           "select record_a::text, record_b::text from match_exclusion"
           " where record_a in (select jsonb_array_elements_text($1::jsonb)::uuid)"
           "    or record_b in (select jsonb_array_elements_text($1::jsonb)::uuid)",
           linked_ids.str()))
    c.excluded.insert(pair_key(row[0].c_str(), row[1].c_str()));
  return c;
}

// A record's candidates, best first: stored ones and this chunk's new records sharing a key
// (`local` owns the latter; `scored` points into `local` and Stores::stored).
struct Ranked {
  std::vector<Stored> local;
  std::vector<Scored> scored;
};

void rank_candidates(const Work& w, std::size_t k, const Stores& stores, const Resolution& res, const Scope& scope,
                     Ranked& ranked) {
  const MatchingRules& rules = *w.rules;
  const std::string self = res.kind == Resolution::Kind::kSourceLink ? res.record_id : "";
  std::set<std::size_t> sharing;
  for (auto b : w.blocks)
    if (auto at = scope.pending_by_block.find(b); at != scope.pending_by_block.end())
      sharing.insert(at->second.begin(), at->second.end());
  for (auto i : sharing)
    if (scope.pending[i].entity == rules.entity)
      ranked.local.push_back(Stored{scope.pending[i].id, scope.pending[i].profile, true});
  auto consider = [&](const Stored& c) {
    if (c.id == self || stores.excluded.count(pair_key(self, c.id))) return;
    ranked.scored.push_back({&c, score(rules, w.profile, c.profile), deterministic_agreement(rules, w.profile, c.profile),
                             distinct_conflict(rules, w.profile, c.profile)});
  };
  for (const auto& id : stores.found[k])
    if (auto st = stores.stored.find(id); st != stores.stored.end()) consider(st->second);
  for (const auto& c : ranked.local) consider(c);
  std::sort(ranked.scored.begin(), ranked.scored.end(), [](const Scored& a, const Scored& b) { return a.s.total > b.s.total; });
}

// The partner's own record again. It stays what it is; a changed record that now looks like
// another one is proposed to a person, never merged here.
void decide_source_link(const Work& w, const Candidate& cand, const std::vector<Scored>& scored, Resolution& res) {
  if (res.content_hash == cand.content_hash) return;
  const MatchingRules& rules = *w.rules;
  for (const auto& s : scored)
    if (!s.conflict && s.s.total >= rules.review_threshold && meets_requirements(rules.review_requires, s.s)) {
      set_review(res, rules, s, "possible_duplicate");
      return;
    }
}

// Found by a natural key: deterministic, unless the rest disagrees so badly that an ID was typed
// into another child's record, or another valid ID contradicts it.
void decide_natural_key(const Work& w, const Stores& stores, Scope& scope, Resolution& res) {
  const MatchingRules& rules = *w.rules;
  auto st = stores.stored.find(res.record_id);
  if (st == stores.stored.end()) return;  // stored before profiles existed: trust the key
  Scored s{&st->second, score(rules, w.profile, st->second.profile), res.matched_key,
           distinct_conflict(rules, w.profile, st->second.profile)};
  if (s.conflict || s.s.rest < rules.deterministic_veto) {
    res = Resolution{};
    res.record_id = new_uuid();
    set_review(res, rules, s, s.conflict ? "identifier_conflict" : "identifier_veto");
  }
  if (res.kind == Resolution::Kind::kNew) scope.add_pending({rules.entity, res.record_id, w.profile, w.blocks});
}

// New to the exact resolver: deterministic agreement with a candidate's profile first, then the
// score against the thresholds; a doubtful one goes to a person, the rest is a new record.
void decide_new(const Work& w, std::size_t k, const std::vector<Scored>& scored, Scope& scope, Resolution& res,
                ByScore& by_score) {
  const MatchingRules& rules = *w.rules;
  const Scored* det = nullptr;
  for (const auto& s : scored)
    if (!s.deterministic.empty() && !s.conflict && s.s.rest >= rules.deterministic_veto) {
      det = &s;
      break;
    }
  const Scored* review_conflict = nullptr;
  std::vector<const Scored*> eligible;
  for (const auto& s : scored) {
    if (!s.conflict) eligible.push_back(&s);
    else if (!review_conflict && s.conflict->review_at && s.s.rest >= *s.conflict->review_at &&
             meets_requirements(rules, s.s) && meets_requirements(s.conflict->review_requires, s.s))
      review_conflict = &s;
  }
  res = Resolution{};
  if (det) {
    res.kind = Resolution::Kind::kMatch;
    res.record_id = det->c->id;
    res.matched_key = det->deterministic;
    res.score = det->s.total;
    return;
  }
  // Below review_requires (a clearly different given name: a twin) nobody is asked.
  bool doubtful = !eligible.empty() && meets_requirements(rules.review_requires, eligible[0]->s);
  if (!eligible.empty() && eligible[0]->s.total >= rules.match_threshold) {
    const Scored& best = *eligible[0];
    bool ambiguous = eligible.size() > 1 &&
                     eligible[1]->s.total >= std::max(rules.review_threshold, best.s.total - rules.ambiguity_margin);
    if (!doubtful && !meets_requirements(rules, best.s)) {
    } else if (best.c->same_partner) set_review(res, rules, best, "same_source_namesake");
    else if (ambiguous) set_review(res, rules, best, "ambiguous");
    else if (!meets_requirements(rules, best.s)) set_review(res, rules, best, "requirement_not_met");
    else {
      res.kind = Resolution::Kind::kMatch;
      res.record_id = best.c->id;
      res.score = best.s.total;
      by_score[best.c->id].push_back({k, Scored{nullptr, best.s, "", nullptr}});
      return;
    }
  } else if (doubtful && eligible[0]->s.total >= rules.review_threshold) {
    set_review(res, rules, *eligible[0], "possible_duplicate");
  } else if (review_conflict) {
    set_review(res, rules, *review_conflict, "identifier_conflict");
  }
  res.record_id = new_uuid();
  scope.add_pending({rules.entity, res.record_id, w.profile, w.blocks});
}

// A record that scores its way onto a stored record another record of this chunk is (the
// partner keeps them apart) is a namesake (two children of one name and birth date in one
// school): no score-based merge onto it. ID-based ones stand.
void demote_namesakes(const std::vector<Work>& work, const std::vector<Candidate>& cands, ByScore& by_score,
                      Scope& scope, std::vector<Resolution>& out) {
  // Whoever else in this chunk was found to be each record (by ID or by score).
  std::map<std::string, std::set<std::string>> claimed;
  for (const auto& w : work) {
    const Resolution& r = out[w.index];
    if ((r.kind == Resolution::Kind::kNaturalKey || r.kind == Resolution::Kind::kMatch) && r.review_candidate.empty())
      claimed[r.record_id].insert(cands[w.index].source_id);
  }
  for (auto& [target, matched] : by_score) {
    if (claimed[target].size() < 2) continue;
    for (auto& [k, sc] : matched) {
      Resolution& res = out[work[k].index];
      Stored candidate{target, {}, true};
      sc.c = &candidate;
      res = Resolution{};
      set_review(res, *work[k].rules, sc, "same_source_namesake");
      res.record_id = new_uuid();
      scope.add_pending({work[k].rules->entity, res.record_id, work[k].profile, work[k].blocks});
    }
  }
}

}  // namespace

ProbabilisticResolver::ProbabilisticResolver(RuleSet rules, RedisPool& redis, ResolverOptions options)
    : rules_(std::move(rules)), redis_(redis), options_(options), locks_(redis, options.locks) {}

Status ProbabilisticResolver::ready() {
  if (rules_.empty() || redis_.ping()) return Status();
  return Error{"dependency.redis", "Redis is unreachable: identity cannot be resolved without its locks", "", 0};
}

std::unique_ptr<ChunkScope> ProbabilisticResolver::begin_chunk() { return std::make_unique<Scope>(); }

int ProbabilisticResolver::source_rank(const std::string& entity, const std::string& field, const std::string& partner) {
  return survivorship_rank(rules_, entity, field, partner);
}

const std::vector<VerifiedId>& ProbabilisticResolver::verified_ids(const std::string& entity) {
  auto r = rules_.find(entity);
  return r == rules_.end() ? IdentityResolver::verified_ids(entity) : r->second->verified_ids;
}

std::vector<bool> ProbabilisticResolver::claim(const std::vector<std::vector<Candidate>>& records,
                                              ChunkScope& scope_base) {
  auto& scope = static_cast<Scope&>(scope_base);
  std::vector<bool> taken(records.size(), true);
  // Per vendor record: the Redis keys of its blocking keys, and what orders it against the
  // other records of this batch (those keys and its source ids).
  std::vector<std::vector<std::string>> lock_keys(records.size()), order_keys(records.size());
  // Redis key -> block. Hashed containers: the keys share a long prefix, which an ordered set
  // compares again at every step.
  std::unordered_map<std::string, std::int64_t> block_of;
  for (std::size_t v = 0; v < records.size(); ++v) {
    for (const auto& c : records[v]) {
      order_keys[v].push_back("source\x1f" + source_key(c));
      auto it = rules_.find(c.entity);
      if (it == rules_.end() || !c.fields) continue;
      Profiled pr{make_profile(*it->second, *c.fields, c.related), {}};
      pr.blocks = blocking_keys(*it->second, pr.profile);
      const auto& blocks = scope.claimed.insert_or_assign(source_key(c), std::move(pr)).first->second.blocks;
      for (auto b : blocks) {
        if (scope.locked.count(b)) continue;
        std::string key = BlockLocks::key_name(c.entity, b);
        block_of.emplace(key, b);
        lock_keys[v].push_back(key);
        order_keys[v].push_back(key);
      }
    }
  }
  if (block_of.empty()) return taken;

  std::vector<std::string> keys;
  for (const auto& [key, _] : block_of) keys.push_back(key);
  std::sort(keys.begin(), keys.end());  // ascending, like acquire()
  std::unique_ptr<LockSet> set;
  auto got = locks_.try_acquire(keys, set);
  std::unordered_set<std::string> free, needed, held_back;
  for (std::size_t k = 0; k < keys.size(); ++k)
    if (got[k]) free.insert(keys[k]);
  for (std::size_t v = 0; v < records.size(); ++v) {
    bool ok = std::all_of(lock_keys[v].begin(), lock_keys[v].end(), [&](const std::string& k) { return free.count(k); }) &&
              std::none_of(order_keys[v].begin(), order_keys[v].end(), [&](const std::string& k) { return held_back.count(k); });
    taken[v] = ok;
    if (ok) needed.insert(lock_keys[v].begin(), lock_keys[v].end());
    else held_back.insert(order_keys[v].begin(), order_keys[v].end());
  }
  set->keep_only(needed);
  for (const auto& key : needed) scope.locked.insert(block_of[key]);
  scope.locks.push_back(std::move(set));
  return taken;
}

std::vector<Resolution> ProbabilisticResolver::resolve(pqxx::work& tx, const std::vector<Candidate>& cands,
                                                       ChunkScope& scope_base) {
  auto& scope = static_cast<Scope&>(scope_base);
  std::vector<Work> work = profile_records(rules_, cands, scope);
  if (work.empty()) return exact_.resolve(tx, cands, scope_base);

  lock_blocks(locks_, work, scope);
  fence_blocks(tx, options_, work, scope);
  // The exact resolver (source links, natural keys) runs only now, under the locks: another
  // process may have just stored this very vendor record (the same push sent twice at once),
  // and read before the locks that would look like a namesake from the same partner.
  auto out = exact_.resolve(tx, cands, scope_base);
  Stores candidates = load_candidates(tx, work, cands, out, counters_);

  // 4. Decide, record by record, in chunk order.
  ByScore by_score;
  for (std::size_t k = 0; k < work.size(); ++k) {
    const Work& w = work[k];
    Resolution& res = out[w.index];
    Ranked ranked;
    rank_candidates(w, k, candidates, res, scope, ranked);
    if (res.kind == Resolution::Kind::kSourceLink) decide_source_link(w, cands[w.index], ranked.scored, res);
    else if (res.kind == Resolution::Kind::kNaturalKey) decide_natural_key(w, candidates, scope, res);
    else decide_new(w, k, ranked.scored, scope, res, by_score);
  }
  demote_namesakes(work, cands, by_score, scope, out);
  return out;
}

std::size_t ProbabilisticResolver::clean_fences(pqxx::work& tx, std::chrono::milliseconds older_than, int limit) {
  // skip locked: never wait on (or deadlock with) a chunk fencing the same keys.
  return tx.exec_params(
               "delete from resolve_fence f using (select entity, block from resolve_fence"
               "   where written_at < clock_timestamp() - make_interval(secs => $1::double precision / 1000)"
               "   limit $2 for update skip locked) old"
               " where f.entity = old.entity and f.block = old.block",
               static_cast<long long>(older_than.count()), limit)
      .affected_rows();
}

void ProbabilisticResolver::remember(pqxx::work& tx, const std::vector<Candidate>& cands,
                                     const std::vector<std::string>& ids, ChunkScope& scope_base) {
  auto& scope = static_cast<Scope&>(scope_base);
  std::map<std::string, std::pair<std::string, Profile>> profiles;  // id -> (entity, profile)
  std::vector<std::tuple<const std::string*, std::int64_t, const std::string*>> block_rows;  // entity, block, id
  for (std::size_t i = 0; i < cands.size(); ++i) {
    auto it = rules_.find(cands[i].entity);
    if (it == rules_.end() || !cands[i].fields || ids[i].empty()) continue;
    auto known = scope.profiles.find(cands[i].fields);
    Profiled computed;
    if (known == scope.profiles.end()) {
      computed.profile = make_profile(*it->second, *cands[i].fields, cands[i].related);
      computed.blocks = blocking_keys(*it->second, computed.profile);
    }
    const Profiled& pr = known != scope.profiles.end() ? known->second : computed;
    const Profile& p = pr.profile;
    for (auto b : pr.blocks) block_rows.emplace_back(&cands[i].entity, b, &ids[i]);
    auto [pos, fresh] = profiles.try_emplace(ids[i], cands[i].entity, Profile{});
    pos->second.second.absorb(p);
  }
  if (profiles.empty()) return;

  json::JsonWriter idlist;
  idlist.begin_array();
  for (const auto& [id, _] : profiles) idlist.value(id);
  idlist.end_array();
  std::map<std::string, Profile> before;
  for (const auto& row : tx.exec_params(
           "select record_id::text, profile::text from match_profile"
           " where record_id in (select jsonb_array_elements_text($1::jsonb)::uuid) order by record_id for update",
           idlist.str()))
    before[row[0].c_str()] = Profile::from_json(row[1].c_str());
  // Records seen for the first time (no profile yet) are copied (copy_rows.h): neither their
  // profile nor their blocks can exist, since both are written together, here and on
  // merge/unmerge. Known records' profiles are upserted and only their blocks are looked up.
  CopyRows<3> new_profiles("match_profile", {"record_id", "entity", "profile"});
  json::JsonWriter rows;
  rows.begin_array();
  for (auto& [id, ep] : profiles) {
    auto known = before.find(id);
    if (known == before.end()) {
      new_profiles.add({id, ep.first, ep.second.to_json()});
      continue;
    }
    Profile merged = known->second;
    merged.absorb(ep.second);
    rows.begin_object().kv("r", id).kv("e", ep.first).key("p").raw(merged.to_json()).end_object();
  }
  rows.end_array();
  CopyRows<3> new_blocks("match_block", {"entity", "block", "record_id"});
  std::set<std::pair<std::int64_t, std::string>> copied;  // (block, record): the entity is in the hash
  json::JsonWriter blocks;
  blocks.begin_array();
  for (const auto& [entity, b, id] : block_rows) {
    if (before.count(*id)) blocks.begin_object().kv("e", *entity).kv("b", static_cast<long long>(b)).kv("r", *id).end_object();
    else if (copied.insert({b, *id}).second) new_blocks.add({*entity, std::to_string(b), *id});
  }
  blocks.end_array();
  new_profiles.write(tx);
  if (rows.str() != "[]")
    tx.exec_params(
        "insert into match_profile(record_id, entity, profile)"
        " select r.r, r.e, r.p from jsonb_to_recordset($1::jsonb) as r(r uuid, e text, p jsonb)"
        " on conflict (record_id) do update set profile = excluded.profile, updated_at = now()",
        rows.str());
  new_blocks.write(tx);
  // One index probe per known record's block, whatever the statistics say: with `not exists` the
  // planner, whose estimate of match_block lags behind a fast-growing store, hashed the whole
  // table per call (960 ms a chunk, spilling to disk, at 50,000 students). A lateral subquery with
  // a LIMIT cannot be turned into a hash join.
  if (blocks.str() != "[]")
    tx.exec_params(
        "insert into match_block(entity, block, record_id)"
        " select r.e, r.b, r.r"
        " from (select distinct q.e, q.b, q.r from jsonb_to_recordset($1::jsonb) as q(e text, b bigint, r uuid)) r"
        " left join lateral (select true as known from match_block m where m.block = r.b and m.record_id = r.r"
        "   limit 1) m on true"
        " where m.known is null",
        blocks.str());
}

}  // namespace hub::resolve
