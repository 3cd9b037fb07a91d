#include "hub/ingest/school_events_feed.h"

#include <map>
#include <string>

#include "hub/inbox/outcomes.h"
#include "hub/ingest/school_lifecycle.h"
#include "hub/mapping/messages.h"

namespace hub {
namespace {

constexpr const char* kSchoolEntity = "school_event_school";

// The canonical field of a new value -> the school field the event changes (SchoolEventSpec).
const std::map<std::string, std::string> kNewValues = {{"new_name", "name"},
                                                       {"new_school_code", "school_code"},
                                                       {"new_school_level", "school_level"},
                                                       {"new_school_type", "school_type"}};

std::string text(const rapidjson::Value& fields, const char* name) {
  auto m = fields.FindMember(name);
  return m != fields.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength())
                                                        : "";
}

// What the operator would have typed (hubctl school ...), from the records of one vendor record.
SchoolEventSpec spec_of(const mapping::RecordResult& r) {
  SchoolEventSpec spec;
  for (const auto& rec : r.records) {
    if (rec.entity == kSchoolEventEntity) {
      spec.kind = text(rec.fields, "kind");
      spec.effective_on = text(rec.fields, "effective_on");
      spec.decision_number = text(rec.fields, "decision_number");
      for (const auto& [field, changed] : kNewValues)
        if (auto v = text(rec.fields, field.c_str()); !v.empty()) spec.changes[changed] = v;
    } else if (rec.entity == kSchoolEntity) {
      (text(rec.fields, "role") == "successor" ? spec.successors : spec.schools).push_back(text(rec.fields, "school_code"));
    }
  }
  return spec;
}

model::FieldIssue issue(const std::string& code, const std::string& message, const std::string& path) {
  return model::FieldIssue{code, kSchoolEventEntity, "", path, "", message, mapping::vietnamese_message(code), false};
}

void name_event(RecordOutcome& out, long long plan_id, long long event_id) {
  out.entities.emplace_back(kSchoolEventEntity, std::to_string(event_id));
  out.entities.emplace_back("school_event_plan", std::to_string(plan_id));
}

// The students a split or a dissolve leaves to a person: the event is applied, the partner is
// told who decides the rest (not a fault of the record, so not blocking).
void note_reviews(const std::string& kind, const SchoolEventApplied& a, const std::string& path, RecordOutcome& out) {
  if (a.reviews == 0) return;
  const std::string n = std::to_string(a.reviews);
  if (kind == "split")
    out.errors.push_back(issue("school.split_pending",
                               "the split was applied (plan " + std::to_string(a.plan_id) + "); " + n +
                                   " enrollments wait for an operator to place each student in a successor"
                                   " (review items of kind school_event, decidable by class)",
                               path));
  else
    out.errors.push_back(issue("school.dissolved",
                               "the school was dissolved (plan " + std::to_string(a.plan_id) + "); " + n +
                                   " open enrollments wait for an operator's decision (review items of kind"
                                   " school_event)",
                               path));
}

// A merge's enrollments listed but not moved (the plan's conflicts) wait for an operator too.
void note_conflicts(const SchoolEventPlan& plan, const std::string& path, RecordOutcome& out) {
  auto n = plan.counts.find("conflict");
  if (n == plan.counts.end() || n->second == 0) return;
  out.errors.push_back(issue("school.not_moved",
                             std::to_string(n->second) + " enrollments of the absorbed schools were listed, not moved"
                                 " (they start on or after the effective date, the student is already enrolled in the"
                                 " successor, or the successor has a class of that name): an operator handles them"
                                 " (hubctl school show " + std::to_string(plan.id) + ")",
                             path));
}

// Plans and applies one event in `tx`; when either refuses, nothing of it stays.
void plan_and_apply(pqxx::work& tx, const ChunkContext& ctx, const SchoolEventSpec& spec, const std::string& path,
                    RecordOutcome& out) {
  SchoolEvents events(*ctx.snapshot);
  const std::string host = "batch " + std::to_string(ctx.batch_id);
  tx.exec("savepoint school_event_record");
  auto plan = events.plan(tx, spec, ctx.partner_name, host);
  auto applied = plan ? events.apply(tx, plan->id, ctx.partner_name, host) : Result<SchoolEventApplied>(plan.error());
  if (!applied) {
    tx.exec("rollback to savepoint school_event_record");
    out.status = "rejected";
    out.errors.push_back(issue(applied.error().code, applied.error().message, path));
    return;
  }
  tx.exec("release savepoint school_event_record");
  out.status = "accepted";
  name_event(out, applied->plan_id, applied->event_id);
  note_reviews(spec.kind, *applied, path, out);
  note_conflicts(*plan, path, out);
}

RecordOutcome apply_one(pqxx::work& tx, const ChunkContext& ctx, const mapping::RecordResult& r) {
  RecordOutcome out;
  out.index = r.index;
  out.source_id = r.source_id;
  out.errors = r.issues;
  if (r.status != mapping::RecordStatus::kMapped) {
    // A value only a person could decide (kReview) cannot be part of an ordered event either.
    out.status = "rejected";
    return out;
  }
  if (!ctx.units.empty()) {
    out.status = "rejected";
    out.errors.push_back(issue("auth.unit",
                               "school events change schools across units: a token limited to units cannot send"
                               " them; nothing of the record was stored",
                               r.path));
    return out;
  }
  const SchoolEventSpec spec = spec_of(r);
  if (auto before = SchoolEvents(*ctx.snapshot).applied_before(tx, spec)) {
    out.status = "unchanged";
    name_event(out, before->plan_id, before->event_id);
    return out;
  }
  plan_and_apply(tx, ctx, spec, r.path, out);
  return out;
}

}  // namespace

bool is_school_event_feed(const mapping::Mapping& m) {
  for (const auto& e : m.entities())
    if (e == kSchoolEventEntity) return true;
  return false;
}

std::vector<RecordOutcome> apply_school_event_records(pqxx::work& tx, const ChunkContext& ctx,
                                                      std::vector<mapping::RecordResult>& results) {
  std::vector<RecordOutcome> outcomes;
  outcomes.reserve(results.size());
  for (const auto& r : results) outcomes.push_back(apply_one(tx, ctx, r));
  inbox::write_outcomes(tx, ctx.batch_id, ctx.mapping_version, outcomes);
  return outcomes;
}

}  // namespace hub
