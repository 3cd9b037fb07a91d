#pragma once
// Publication: what each consumer of the hub's data (the city warehouse, other agencies) may
// see, loaded from config/publication.yaml. A consumer is named like the partner whose token it
// pulls with; it lists the entities it receives and, per entity, the fields. Personal IDs
// (schema type personal_id, plus fields a profile names) are omitted, masked, or replaced by a
// keyed hash (HMAC-SHA256 with a secret from the environment or a file) so that the consumer can
// join records without ever seeing the ID. A consumer may also have a push connector (sink and
// its settings); see hub/sync/outbox_worker.h.
//
// Everything the pull API, the records API (for callers other than admins) and every connector
// send goes through Publication::project, so no path to a consumer can forget the profile. A Publication is immutable after load(); share it
// freely across threads.

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/json.h"
#include "hub/common/result.h"
#include "hub/mapping/schema.h"

namespace hub::sync {

enum class IdTreatment { kOmit, kMask, kHash };

std::string_view treatment_name(IdTreatment t);

struct EntityProfile {
  std::string entity;
  // `fields: all` = every field of the schema that is not marked sensitive (sensitive fields,
  // such as phones or health data, are only sent when listed by name).
  bool all_fields = false;
  std::set<std::string> fields;           // when not all_fields
  std::set<std::string> personal_id_fields;  // treated as personal IDs (schema + profile)
  IdTreatment personal_ids = IdTreatment::kHash;

  bool allows(const schema::EntitySchema& schema, const std::string& field) const;
  // Whether the consumer gets a value of the field at all: allowed, and not a personal ID it
  // has omitted.
  bool sends(const schema::EntitySchema& schema, const std::string& field) const;
};

// Where and how changes are pushed to the consumer. Options are the sink's own settings
// (validated by the sink's factory in connectors/registry).
struct PushSettings {
  bool enabled = false;
  std::string sink;                           // a name of connectors/registry: http | file
  std::map<std::string, std::string> options;
  int batch_changes = 500;
  int max_attempts = 10;
  int backoff_initial_ms = 500;
  int backoff_max_ms = 60000;
};

struct ConsumerProfile {
  std::string name;
  std::map<std::string, EntityProfile> entities;
  std::optional<PushSettings> push;

  const EntityProfile* entity(std::string_view name) const;
};

class Publication {
 public:
  // Reads `file`. Every key is checked: unknown keys, unknown entities or fields (when `schemas`
  // is given), bad treatments and a missing HMAC secret for a profile that hashes are errors
  // with code "publication.load" and a message "<file>:<line>: <what>". `env` (tests) replaces
  // the process environment when looking up the secret.
  static Result<std::shared_ptr<const Publication>> load(
      const std::string& file, const schema::SchemaSet* schemas,
      const std::map<std::string, std::string>* env = nullptr);

  const ConsumerProfile* consumer(std::string_view name) const;
  std::vector<const ConsumerProfile*> consumers() const;
  const std::string& file() const { return file_; }

  // Writes the consumer's view of a record's fields (`data`, a JSON object) to `out` as one
  // JSON object: allowed fields only, personal IDs treated. Fields absent from the schema are
  // never sent.
  void project(const EntityProfile& profile, const schema::EntitySchema& schema,
               const rapidjson::Value& data, json::JsonWriter& out) const;
  std::string project(const EntityProfile& profile, const schema::EntitySchema& schema,
                      const rapidjson::Value& data) const;
  // Writes the consumer's view of a record's lineage (field -> {partner, batch, mapping_version,
  // source_id}) as one JSON object: the fields it is sent, each with its partner, batch and
  // mapping version. The vendor's source id is left out: vendors may key their records by a
  // personal ID, and the consumer has no use for another partner's record keys.
  void project_lineage(const EntityProfile& profile, const schema::EntitySchema& schema,
                       const rapidjson::Value& lineage, json::JsonWriter& out) const;

  // Lower-case hex HMAC-SHA256 of the trimmed value: equal IDs give equal hashes, for joins.
  std::string keyed_hash(std::string_view value) const;

 private:
  std::string file_;
  std::string secret_;
  std::map<std::string, ConsumerProfile, std::less<>> consumers_;
};

}  // namespace hub::sync

namespace hub::sync {

// The profiles the hub runs with, or why they could not be loaded (the sync routes then answer
// 503 and no connector starts). Set once at start-up; read-only afterwards.
struct LoadedPublication {
  std::shared_ptr<const Publication> publication;
  std::string error;
};

}  // namespace hub::sync
