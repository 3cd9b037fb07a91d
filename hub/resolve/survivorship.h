#pragma once
// Survivorship of verified personal IDs: which of two values of a personal ID a golden record
// keeps. An ID checked against the national population database (CSDLQGvDC) is the best
// evidence the sector has of who a child or teacher is, so
//   - a verified ID wins over an unverified one, whatever the sources' ranks for the field;
//   - an answer "not checked" from another source does not undo a check of the same ID
//     (a later "mismatch" is a check too, and is applied like any value);
//   - a different ID for a record whose ID is verified is never applied by a machine: a
//     person decides (review item kind `id_change`), since either the record or the new value
//     is wrong and the two cases need opposite repairs.
// The group of a verified ID is its ID field, its status field and the fields describing the
// check (`with`): they are kept or replaced together, so a check's date never describes another
// ID. Other fields: the value from the source the matching rules rank higher for the field
// (survivorship_rank) stays; between equal ranks the newer value wins. Pure functions, the one
// survivorship of the hub: the write pipeline (golden_store.cpp, fold_survivors) and a person's
// merge of two records (review_queue.cpp) both decide each field with `takes_incoming`.

#include <rapidjson/document.h>

#include <string_view>

#include "hub/resolve/matching_rules.h"

namespace hub::resolve {

enum class IdVerdict {
  kNormal,        // no verified value involved: the usual rules (source rank, latest wins)
  kTakeIncoming,  // the incoming ID is verified and the stored one is not: take the group
  kKeepStored,    // the stored ID is verified; the incoming group says nothing better: keep it
  kReview,        // the stored ID is verified and the incoming ID differs: a person decides
};

// Whether `field` belongs to the group of `id` (the ID, its status, the check's fields).
bool in_group(const VerifiedId& id, std::string_view field);

// Whether the record `data` (canonical fields) holds a verified ID of this kind.
bool holds_verified(const VerifiedId& id, const rapidjson::Value& data);

// What survivorship does with the incoming group against the stored one. `stored` and
// `incoming` are canonical field objects; an absent field is "not sent".
IdVerdict verdict(const VerifiedId& id, const rapidjson::Value& stored, const rapidjson::Value& incoming);

// One field of a golden record offered another value (by a vendor record, or by the record a
// person merges into it). Ranks are survivorship_rank's: lower is preferred.
struct FieldOffer {
  IdVerdict id_verdict = IdVerdict::kNormal;  // of the verified ID group the field belongs to
  bool stored_present = false;                // the record holds a value for the field
  int stored_rank = 0;
  int incoming_rank = 0;
  bool incoming_newer = true;                 // the offered value is the more recent of the two
};

// Whether the offered value replaces the stored one (or fills the field, when none is stored).
bool takes_incoming(const FieldOffer& offer);

}  // namespace hub::resolve
