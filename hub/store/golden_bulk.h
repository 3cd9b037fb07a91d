#pragma once
// The golden rows of one chunk of vendor records, read and written in bulk: the stored records
// the chunk changes, locked; its new and changed golden records with their versions; its
// natural keys and source links. The chunk's write path (hub/ingest/golden_store.cpp) decides
// what is new, what changed and which value survives, and hands these functions plain rows; they
// know neither mappings nor resolution.
//
// Apart from golden_rows.h because the shape is different: golden_rows.h changes one record at
// a time for a decision (a statement per record, lineage edited per field), while a chunk of a
// thousand records must cost one statement per table (COPY for the rows that cannot exist yet,
// one statement from a JSON parameter for the others; copy_rows.h says why). For the same reason
// `lock` returns the lineage as stored (compact, hub/model/lineage.h) rather than per field as
// golden::lock does: the hub reads it per field itself, which keeps that work off PostgreSQL's
// CPU, the ingest's scarcer resource (docs/benchmarks.md).
//
// Every function runs in the caller's transaction, the chunk's, so a chunk's rows, its
// batch_record rows and its change events commit together or not at all. A duplicate among the
// rows said to be new is a concurrent writer: the COPY fails with a unique violation (23505) and
// the chunk is retried. No state, thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace hub::golden::bulk {

// Who writes the chunk: its batch and that batch's partner, recorded with each version and
// each source link.
struct Origin {
  long long batch_id = 0;
  long long partner_id = 0;
};

// A stored record as the chunk found it.
struct Stored {
  std::string id;
  int version = 0;
  std::string data;     // JSON object
  std::string lineage;  // JSON, as stored: the compact array of hub/model/lineage.h
};

// Locks the records `ids` for update, in id order (two chunks changing the same records wait
// for each other rather than deadlock), and returns those that exist, in id order.
std::vector<Stored> lock(pqxx::work& tx, const std::vector<std::string>& ids);

// A golden record as the chunk leaves it, with the version it now has.
struct RecordRow {
  std::string id;
  std::string entity;   // read for new records only: a stored record keeps its entity
  int version = 0;
  std::string data;     // JSON object
  std::string lineage;  // the whole stored lineage, compact (lineage.h)
  std::optional<std::string> valid_from, valid_to;  // ISO dates; none: SQL null
};

// The chunk's golden records and their versions. `created` are copied into golden_record and
// record_version; each of `changed` replaces its stored row (data, lineage, version, validity
// dates) and the row written becomes its record_version, in one statement. Every version names
// `origin`; earlier versions stay in record_version.
void write_records(pqxx::work& tx, const Origin& origin, const std::vector<RecordRow>& created,
                   const std::vector<RecordRow>& changed);

// A natural key of a record: (entity, key name, key value) -> record id.
struct KeyRow {
  std::string entity, name, value, record_id;
};

// The chunk's natural keys. `created` are copied (the keys of records the chunk creates: no one
// may hold them yet); `others` are inserted unless a record holds the key already, which then
// keeps it (an identity conflict is entity resolution's to find, not the write's). A key named
// twice in `others` is written once.
void write_keys(pqxx::work& tx, const std::vector<KeyRow>& created, const std::vector<KeyRow>& others);

// A source link: the origin's partner's record (entity, source id) is golden record
// `record_id`, last written with content `content_hash` (hex SHA-256).
struct LinkRow {
  std::string entity, source_id, record_id, content_hash;
};

// The chunk's source links, all of `origin`'s partner and batch. `created` are copied (sources
// no link names yet); each of `others` is inserted or, when the link exists, moved to its record
// with its hash and batch. A link named twice in `others` is written once.
void write_links(pqxx::work& tx, const Origin& origin, const std::vector<LinkRow>& created,
                 const std::vector<LinkRow>& others);

}  // namespace hub::golden::bulk
