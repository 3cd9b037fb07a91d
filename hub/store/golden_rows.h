#pragma once
// The golden store's rows as a decision reads and changes them (a review decision, a merge, an
// unmerge, a held personal-ID change, a correction, a school event, the units recode, a commune
// chosen for a split): golden_record, record_version, source_link and natural_key. The decisions
// themselves (which record survives, which value wins) are the caller's; these functions only
// read and write rows. The write path of a chunk writes the same tables in bulk (golden_bulk.h)
// and the change log through ChangeLog, as write_version here does, so a decision and a chunk
// leave the same rows behind.
// Every function runs in the caller's transaction, so a decision, its versions, its change
// events and its audit row commit together or not at all. No state, thread-safe.

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hub::golden {

// A golden record as a decision reads it.
struct Locked {
  std::string id, entity;
  std::string data;         // JSON object
  std::string lineage;      // JSON object, per field (lineage_by_field): the shape decisions edit
  std::string merged_into;  // empty unless merged
  int version = 0;
};

// Locks the records `ids` (for update, in id order, so two decisions on the same records wait
// for each other rather than deadlock) and returns those that exist, by id.
std::map<std::string, Locked> lock(pqxx::work& tx, const std::vector<std::string>& ids);

// A record's current values without a lock, for the review screens.
struct Current {
  std::string data;  // JSON object
  std::string merged_into;
  int version = 0;
};
std::optional<Current> current(pqxx::work& tx, const std::string& id);

// The records' data and lineage after a decision. `lineage` is the stored shape: the compact
// array of hub/model/lineage.h (lineage::compact of the per-field lineage the decision edited).
// Each call raises the version by one; write_version records it.
void replace(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage);
// `merged_id` now redirects to `survivor_id`, and so does every record merged into it before.
void mark_merged(pqxx::work& tx, const std::string& merged_id, const std::string& survivor_id);
// A merged record back on its own, with the data and lineage it had before the merge.
void restore_unmerged(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage);
// Values a person applied: `data` whole, `lineage_by_field` (a per-field object naming the
// person) appended to the stored lineage with `||`, which lineage_by_field reads as the latest
// entry of those fields. `version` is the record's new version.
void apply_decided(pqxx::work& tx, const std::string& id, const std::string& data,
                   const std::string& lineage_by_field, int version);

// Values an event of the hub itself wrote (a school event, or its undo): `data` whole, `version`
// the record's new version, its validity dates as given (none: SQL null) and `lineage_by_field`
// appended as in apply_decided. The caller records the version (keep_version, naming its batch).
void apply_dated(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage_by_field,
                 int version, const std::optional<std::string>& valid_from,
                 const std::optional<std::string>& valid_to);
// A correction's values: as apply_decided, and when `dates_from_data` (an effective-dated entity)
// the validity dates are those of `data`'s valid_from / valid_to, else they stay.
void apply_corrected(pqxx::work& tx, const std::string& id, const std::string& data,
                     const std::string& lineage_by_field, int version, bool dates_from_data);
// The unit code `code` in `field`, the field's current lineage entry gaining the keys of `why`
// (a JSON object), the version raised by one. Returns the new version; the caller records it
// (keep_version) and adds its change event to the ChangeLog it writes once for its whole plan.
int recode_field(pqxx::work& tx, const std::string& id, const std::string& field, const std::string& code,
                 const std::string& why);
// The lineage entry of each field of `id` whose name is LIKE `field_like`, which holds `value`
// and was last written by batch `batch_id`, gains the keys of `why` (a JSON object): who decided
// the value that batch wrote. Fields written since by another batch keep their lineage.
void annotate_lineage(pqxx::work& tx, const std::string& id, const std::string& field_like, const std::string& value,
                      long long batch_id, const std::string& why);

// The version the golden row now holds, copied into record_version with the batch and partner
// that wrote it (none: SQL null), and no change event: for callers that collect their change
// events in a ChangeLog of their own.
void keep_version(pqxx::work& tx, const std::string& id, std::optional<long long> batch_id = std::nullopt,
                  std::optional<long long> partner_id = std::nullopt);
// The version the golden row now holds, kept in record_version, and its change event (op:
// update, merge, unmerge) through ChangeLog, the change log's one writer.
void write_version(pqxx::work& tx, const std::string& entity, const std::string& id, int version,
                   const std::string& op);

// A record's source links and natural keys as JSON arrays ([{"p": partner id, "e": entity,
// "s": source id}], [{"e": entity, "n": key name, "v": key value}]): the snapshot a merge keeps
// so that an unmerge can give them back (restore_links_and_keys).
std::string source_links(pqxx::work& tx, const std::string& record_id);
std::string natural_keys(pqxx::work& tx, const std::string& record_id);
// Every source link and natural key of `from` now names `to`.
void move_links_and_keys(pqxx::work& tx, const std::string& from, const std::string& to);
// The links and keys of the snapshots name `to` again.
void restore_links_and_keys(pqxx::work& tx, const std::string& to, const std::string& links_json,
                            const std::string& keys_json);
// The (partner name, source id) of each link of a source_links snapshot: how lineage names them.
std::set<std::pair<std::string, std::string>> link_sources(pqxx::work& tx, const std::string& links_json);
// The (partner name, source id) of each source linked to a record, sorted.
std::vector<std::pair<std::string, std::string>> linked_sources(pqxx::work& tx, const std::string& record_id);

// The record other than `except_id` that holds this natural key, if any.
std::optional<std::string> key_holder(pqxx::work& tx, const std::string& entity, const std::string& name,
                                      const std::string& value, const std::string& except_id);
// The natural key `name` of `record_id` moves from `old_value` (none: the record had none) to
// `new_value`; a key the record already holds stays.
void move_key(pqxx::work& tx, const std::string& entity, const std::string& name,
              const std::optional<std::string>& old_value, const std::string& new_value, const std::string& record_id);
// Gives `record_id` the natural key `name` = `value` (a recoded school's new code, its old one
// kept for pushes that still send it). False when a record already holds that key, and nothing is
// written: the caller decides whether that refuses its change.
bool add_key(pqxx::work& tx, const std::string& entity, const std::string& name, const std::string& value,
             const std::string& record_id);

}  // namespace hub::golden
