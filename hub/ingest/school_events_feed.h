#pragma once
// School events sent by the ops partner as a feed (mappings/partners/<partner>/school_events.yaml):
// each vendor record maps to one `school_event` (kind, effective date, decision number, new value)
// and the `school_event_school` records naming its schools (role `school` or `successor`). The
// partner is the authority that ordered the event, so the ingest service hands such a chunk here
// instead of to the GoldenStore: each record is planned and applied at once by SchoolEvents
// (school_lifecycle.h), in the chunk's transaction, and answered like any record:
// - accepted: entities name the event and its plan; a split's or a dissolve's students wait for
//   a person (review items of kind school_event), and so do a merge's enrollments that could not
//   move (the plan's conflicts), which the result says (school.split_pending, school.dissolved,
//   school.not_moved: notes, not blocking);
// - unchanged: the same event (kind, schools, effective date, decision number) was applied
//   before and not undone; nothing is written;
// - rejected: the mapping's issues, or the code SchoolEvents refused the plan or its apply with
//   (school.unknown, school.bad_event, school.stale_plan ...), at the record's path; nothing of
//   it is written (a savepoint per record), its neighbours go on.
// Stateless, thread-safe.

#include <pqxx/pqxx>

#include <vector>

#include "hub/ingest/golden_store.h"
#include "hub/mapping/mapping.h"
#include "hub/model/outcome.h"

namespace hub {

inline constexpr const char* kSchoolEventEntity = "school_event";

// True when the mapping emits school events: its chunks go to apply_school_event_records.
bool is_school_event_feed(const mapping::Mapping& m);

// Applies one chunk of the feed in `tx` and writes each record's batch_record row.
std::vector<RecordOutcome> apply_school_event_records(pqxx::work& tx, const ChunkContext& ctx,
                                                      std::vector<mapping::RecordResult>& results);

}  // namespace hub
