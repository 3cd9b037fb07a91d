#pragma once
// Lineage of a golden record: where each field's value came from. Stored compactly, one entry
// per source version that supplied values (partner, batch, mapping version, source id, and the
// fields it supplied):
//
//   [{"partner": "demo-admissions", "batch": 12, "mapping_version": "…", "source_id": "TS25-1",
//     "fields": ["full_name", "birth_date", …]}, …]
//
// rather than per field, because a vendor record supplies most fields of a record at once and
// repeating its source per field was most of the bytes of a golden row (docs/benchmarks.md).
// Readers get it per field, the shape of the records API (`field -> {partner, batch,
// mapping_version, source_id, …}`): `by_field` here, and the SQL function `lineage_by_field`
// (migration 0027) for statements. Both also read the per-field object that older rows and
// review decisions hold, and an array element without "fields" (a per-field object appended
// with `||`): later elements win. "partner" may name a person (`user:<login>`) as well as a
// partner: it is a string either way, and an entry keeps any other members (decided_by, …).

#include <rapidjson/document.h>

#include <string>

#include "hub/common/json.h"

namespace hub::lineage {

// The lineage per field of a stored lineage of either shape, into `out` (an object).
void by_field(const rapidjson::Value& stored, rapidjson::Document& out);

// The compact shape (above) of a lineage per field: fields whose entries are equal share one.
std::string compact(const rapidjson::Value& by_field);

// The entries of compact(by_field), written into an array `w` has begun.
void write_entries(const rapidjson::Value& by_field, json::JsonWriter& w);

}  // namespace hub::lineage
