#include "hub/resolve/survivorship.h"

#include <algorithm>

namespace hub::resolve {
namespace {

const rapidjson::Value* member(const rapidjson::Value& o, const std::string& name) {
  if (!o.IsObject()) return nullptr;
  auto m = o.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return m == o.MemberEnd() || m->value.IsNull() ? nullptr : &m->value;
}

bool says(const rapidjson::Value* v, const std::string& value) {
  return v && v->IsString() && std::string_view(v->GetString(), v->GetStringLength()) == value;
}

}  // namespace

bool in_group(const VerifiedId& id, std::string_view field) {
  return field == id.field || field == id.status || std::find(id.with.begin(), id.with.end(), field) != id.with.end();
}

bool holds_verified(const VerifiedId& id, const rapidjson::Value& data) {
  return member(data, id.field) && says(member(data, id.status), id.value);
}

IdVerdict verdict(const VerifiedId& id, const rapidjson::Value& stored, const rapidjson::Value& incoming) {
  const rapidjson::Value* in_id = member(incoming, id.field);
  const rapidjson::Value* in_status = member(incoming, id.status);
  if (holds_verified(id, stored)) {
    if (in_id && *in_id != *member(stored, id.field)) return IdVerdict::kReview;
    // The same ID (or none) with another answer: "mismatch" is a newer check and is applied;
    // "not checked" or no answer is no news about a verified ID.
    if (says(in_status, "mismatch")) return IdVerdict::kNormal;
    bool sends_group = in_status;
    for (const auto& w : id.with) sends_group = sends_group || member(incoming, w);
    return sends_group && !says(in_status, id.value) ? IdVerdict::kKeepStored : IdVerdict::kNormal;
  }
  // Verified incoming against an unverified stored value (or none): the check wins.
  if (says(in_status, id.value) && (in_id || member(stored, id.field))) return IdVerdict::kTakeIncoming;
  return IdVerdict::kNormal;
}

bool takes_incoming(const FieldOffer& o) {
  switch (o.id_verdict) {
    case IdVerdict::kKeepStored:
    case IdVerdict::kReview: return false;
    case IdVerdict::kTakeIncoming: return true;
    case IdVerdict::kNormal: break;
  }
  if (!o.stored_present) return true;
  if (o.incoming_rank != o.stored_rank) return o.incoming_rank < o.stored_rank;
  return o.incoming_newer;
}

}  // namespace hub::resolve
