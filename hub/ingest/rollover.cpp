#include "hub/ingest/rollover.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <regex>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/store/audit_log.h"
#include "hub/ingest/golden_store.h"

namespace hub {
namespace {

// Vendor records per GoldenStore::apply call, as ingest's chunks: a handful of set-based
// statements each. All of them run in the one transaction of the apply.
constexpr std::size_t kChunk = 500;
// Any constant shared by every process that applies rollovers: one at a time.
constexpr long long kAdvisoryLock = 0x526f6c6c6f766572;  // "Rollover"

// Statuses after which a student is no longer at the school: nothing to roll over.
bool left_school(const std::string& status) {
  return status == "CHUYEN_DI" || status == "THOI_HOC" || status == "DA_MAT" || status == "TAM_NGHI";
}

bool graduated_status(const std::string& status) { return status == "TOT_NGHIEP" || status == "HOAN_THANH_CT"; }

// Grades 1..12 (catalog grade); 0 for preschool age groups (NT1..MG5) and anything else.
int grade_number(const std::string& code) {
  if (code.empty() || code.size() > 2 || !std::all_of(code.begin(), code.end(), ::isdigit)) return 0;
  int g = std::stoi(code);
  return g >= 1 && g <= 12 ? g : 0;
}

// The last grade of the school level a grade belongs to (catalog grade: parent school_level).
int last_grade_of_level(int grade) { return grade <= 5 ? 5 : grade <= 9 ? 9 : 12; }

std::string str_member(const rapidjson::Value& v, const char* name) {
  auto m = v.FindMember(name);
  return m != v.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength()) : "";
}

std::optional<bool> bool_member(const rapidjson::Value& v, const char* name) {
  auto m = v.FindMember(name);
  if (m == v.MemberEnd() || !m->value.IsBool()) return std::nullopt;
  return m->value.GetBool();
}

struct Row {
  std::string enrollment_id;
  int version = 0;
  std::string student, school, school_code, grade, status, valid_to, highest_grade, summary;
  bool enrolled_next = false;
  int in_force = 1;  // enrollments of this student in force on the cut-off
};

// The decision for one enrollment. The order of the rules is the documented one
// (docs/operations.md, "School year rollover").
RolloverItem decide(const Row& r, const RolloverYears& y) {
  RolloverItem it;
  it.enrollment_id = r.enrollment_id;
  it.enrollment_version = r.version;
  it.student_id = r.student;
  it.school_id = r.school;
  it.school_code = r.school_code;
  it.from_grade = r.grade;
  int grade = grade_number(r.grade);
  enum class Next { kNone, kPromote, kRepeat } next = Next::kNone;
  if (left_school(r.status)) {
    it.outcome = "not_rolled";
    it.reason = "status " + r.status;
  } else if (grade == 0) {
    it.outcome = "not_rolled";
    it.reason = "preschool age group " + r.grade + ": placed by the school";
  } else if (r.in_force > 1) {
    it.outcome = "undecided";
    it.reason = std::to_string(r.in_force) + " enrollments of the student in force on the cut-off";
  } else if (graduated_status(r.status)) {
    it.outcome = "graduated";
    it.reason = "status " + r.status;
    it.close_status = r.status;
  } else if (r.status == "LUU_BAN") {
    next = Next::kRepeat;
    it.reason = "status LUU_BAN";
  } else {
    rapidjson::Document s;
    if (!r.summary.empty()) s.Parse(r.summary.c_str());
    bool have = !r.summary.empty() && !s.HasParseError() && s.IsObject();
    std::string term = have ? str_member(s, "term") : "";
    auto promoted = have ? bool_member(s, "promoted") : std::nullopt;
    const bool retake = have && bool_member(s, "must_retake").value_or(false);
    auto retake_passed = have ? bool_member(s, "retake_passed") : std::nullopt;
    if (retake && retake_passed) {
      next = *retake_passed ? Next::kPromote : Next::kRepeat;
      it.reason = term + " retake_passed=" + (*retake_passed ? "true" : "false");
    } else if (retake && !promoted.value_or(false)) {
      // Platforms send promoted=false for a pupil who must retake as long as the retake has not
      // been sat: that is no decision yet. The promotion stays pending until the retake result
      // (retake_passed, or promoted=true) comes; a later plan decides it.
      it.outcome = "undecided";
      it.reason = term + " must_retake: awaiting the summer retake" + (promoted ? " (promoted=false before it)" : "");
    } else if (promoted) {
      next = *promoted ? Next::kPromote : Next::kRepeat;
      it.reason = std::string(term) + " promoted=" + (*promoted ? "true" : "false");
    } else if (have && (str_member(s, "academic_rating") == "4" || str_member(s, "conduct_rating") == "4")) {
      next = Next::kRepeat;
      it.reason = term + " TT22 rating Chưa đạt";
    } else if (have && str_member(s, "overall_rating") == "CHT") {
      next = Next::kRepeat;
      it.reason = term + " TT27 Chưa hoàn thành";
    } else {
      next = Next::kPromote;
      it.reason = have ? term + " year-end result" : "no year-end result";
    }
  }
  if (next == Next::kPromote) {
    int highest = grade_number(r.highest_grade);
    // A multi-level school (TH&THCS ...) keeps its grade-5 pupils: they move on to grade 6 there.
    if (grade == last_grade_of_level(grade) && !(highest > grade)) {
      it.outcome = "graduated";
      it.close_status = grade == 5 ? "HOAN_THANH_CT" : "TOT_NGHIEP";
    } else {
      it.outcome = "promoted";
      it.to_grade = std::to_string(grade + 1);
    }
  } else if (next == Next::kRepeat) {
    it.outcome = "repeating";
    it.to_grade = r.grade;
  }
  if (it.outcome == "promoted" || it.outcome == "repeating" || it.outcome == "graduated") {
    it.closes = r.valid_to != y.closes_on.iso() || (!it.close_status.empty() && r.status != it.close_status);
    it.opens = !it.to_grade.empty() && !r.enrolled_next;
    if (!it.to_grade.empty() && r.enrolled_next) it.reason += "; already enrolled in " + y.to_year;
    if (!it.opens) it.to_grade.clear();
  }
  return it;
}

std::vector<RolloverItem> compute(pqxx::work& tx, const RolloverYears& y) {
  std::vector<RolloverItem> items;
  // Set-based: a few scans of golden_record joined by hash, whatever the number of students.
  for (const auto& row : tx.exec_params(
           // A student merged into another (entity resolution) keeps the references of their
           // records; `person` is the surviving student, so one person is one person here.
           "with students as ("
           "  select id::text as id, coalesce(merged_into::text, id::text) as person from golden_record"
           "  where entity = 'student'),"
           " cur as ("
           "  select e.id, e.version, e.data, e.valid_to, coalesce(p.person, e.data->>'student') as person"
           "  from golden_record e left join students p on p.id = e.data->>'student'"
           "  where e.entity = 'enrollment' and e.merged_into is null and e.data->>'school_year' = $1"
           "    and e.valid_from <= $3::date and (e.valid_to is null or e.valid_to >= $3::date)),"
           " summary as ("
           "  select distinct on (coalesce(p.person, t.data->>'student')) coalesce(p.person, t.data->>'student') as person,"
           "   t.data"
           "  from golden_record t left join students p on p.id = t.data->>'student'"
           "  where t.entity = 'term_summary' and t.merged_into is null"
           "    and t.data->>'school_year' = $1 and t.data->>'term' in ('CN', 'HK2')"
           "  order by coalesce(p.person, t.data->>'student'), t.data->>'term' = 'CN' desc, t.updated_at desc),"
           " next_year as ("
           "  select distinct coalesce(p.person, n.data->>'student') as person"
           "  from golden_record n left join students p on p.id = n.data->>'student'"
           "  where n.entity = 'enrollment' and n.merged_into is null and n.data->>'school_year' = $2)"
           " select c.id::text, c.version, coalesce(c.data->>'student', ''), coalesce(c.data->>'school', ''),"
           "  coalesce(s.data->>'school_code', ''), coalesce(c.data->>'grade', ''), coalesce(c.data->>'status', ''),"
           "  coalesce(c.valid_to::text, ''), coalesce(s.data->>'highest_grade', ''), coalesce(sm.data::text, ''),"
           "  nx.person is not null, count(*) over (partition by c.person)"
           " from cur c"
           " left join golden_record s on s.entity = 'school' and s.id::text = c.data->>'school'"
           " left join summary sm on sm.person = c.person"
           " left join next_year nx on nx.person = c.person"
           " order by c.id",
           y.from_year, y.to_year, y.closes_on.iso())) {
    Row r;
    r.enrollment_id = row[0].c_str();
    r.version = row[1].as<int>();
    r.student = row[2].c_str();
    r.school = row[3].c_str();
    r.school_code = row[4].c_str();
    r.grade = row[5].c_str();
    r.status = row[6].c_str();
    r.valid_to = row[7].c_str();
    r.highest_grade = row[8].c_str();
    r.summary = row[9].c_str();
    r.enrolled_next = row[10].as<bool>();
    r.in_force = row[11].as<int>();
    items.push_back(decide(r, y));
  }
  return items;
}

std::string fingerprint(const RolloverYears& y, const std::vector<RolloverItem>& items) {
  std::string text = y.from_year + ">" + y.to_year + "|" + y.closes_on.iso() + "|" + y.opens_on.iso() + "\n";
  for (const auto& it : items)
    text += it.enrollment_id + "|" + std::to_string(it.enrollment_version) + "|" + it.outcome + "|" + it.to_grade +
            "|" + it.close_status + "|" + (it.closes ? "c" : "") + (it.opens ? "o" : "") + "\n";
  return crypto::to_hex(crypto::sha256(text));
}

std::map<std::string, long long> count_outcomes(const std::vector<RolloverItem>& items) {
  std::map<std::string, long long> c;
  for (const char* k : {"promoted", "repeating", "graduated", "undecided", "not_rolled", "to_close", "to_open",
                        "already_done"})
    c[k] = 0;
  for (const auto& it : items) {
    ++c[it.outcome];
    if (it.closes) ++c["to_close"];
    if (it.opens) ++c["to_open"];
    if (!it.closes && !it.opens && it.outcome != "undecided" && it.outcome != "not_rolled") ++c["already_done"];
  }
  return c;
}

std::string counts_json(const std::map<std::string, long long>& counts) {
  json::JsonWriter w;
  w.begin_object();
  for (const auto& [k, v] : counts) w.kv(k, v);
  w.end_object();
  return w.str();
}

void write_ref(json::JsonWriter& w, const std::string& field, const std::string& id) {
  w.key(field).begin_object().kv("$id", id).end_object();
}

// The canonical records of one plan item, as GoldenStore::apply takes them: the old enrollment
// addressed by its natural key (student, school, old year) with its new valid_to, and the new
// one for the new year.
mapping::RecordResult records_of(const RolloverItem& it, const RolloverYears& y, std::size_t index) {
  mapping::RecordResult r;
  r.index = index;
  r.source_id = it.enrollment_id;
  r.path = "$.items[" + std::to_string(index) + "]";
  auto add = [&](const std::string& local, const std::string& source_id, const std::string& fields) {
    mapping::MappedRecord rec;
    rec.entity = "enrollment";
    rec.local_name = local;
    rec.source_id = source_id;
    rec.fields.Parse(fields.c_str());
    r.records.push_back(std::move(rec));
  };
  if (it.closes) {
    json::JsonWriter w;
    w.begin_object();
    write_ref(w, "student", it.student_id);
    write_ref(w, "school", it.school_id);
    w.kv("school_year", y.from_year).kv("valid_to", y.closes_on.iso());
    if (!it.close_status.empty()) w.kv("status", it.close_status);
    w.end_object();
    add("closed", y.from_year + "/close/" + it.enrollment_id, w.str());
  }
  if (it.opens) {
    json::JsonWriter w;
    w.begin_object();
    write_ref(w, "student", it.student_id);
    write_ref(w, "school", it.school_id);
    w.kv("school_year", y.to_year).kv("grade", it.to_grade).kv("status", "DANG_HOC")
        .kv("valid_from", y.opens_on.iso());
    if (it.outcome == "repeating") w.kv("is_repeating", true);
    w.end_object();
    add("opened", y.to_year + "/open/" + it.enrollment_id, w.str());
  }
  return r;
}

Error error(const std::string& code, const std::string& message) { return Error{code, message, "", 0}; }

}  // namespace

Result<RolloverYears> rollover_years(const std::string& from_year, const std::string& to_year,
                                     const std::string& closes_on, const std::string& opens_on) {
  static const std::regex kYear("^([0-9]{4})-([0-9]{4})$");
  std::smatch a, b;
  if (!std::regex_match(from_year, a, kYear) || std::stoi(a[2]) != std::stoi(a[1]) + 1)
    return error("rollover.bad_argument", "'" + from_year + "' is not a school year like 2025-2026");
  if (!std::regex_match(to_year, b, kYear) || std::stoi(b[2]) != std::stoi(b[1]) + 1)
    return error("rollover.bad_argument", "'" + to_year + "' is not a school year like 2026-2027");
  int end = std::stoi(a[2]);
  if (std::stoi(b[1]) != end)
    return error("rollover.bad_argument", to_year + " does not follow " + from_year + " (expected " +
                                              std::to_string(end) + "-" + std::to_string(end + 1) + ")");
  RolloverYears y{from_year, to_year, Date{end, 5, 31}, Date{end, 9, 5}};
  if (!closes_on.empty()) {
    auto d = Date::parse_iso(closes_on);
    if (!d) return error("rollover.bad_argument", "--closes-on '" + closes_on + "' is not a date YYYY-MM-DD");
    y.closes_on = *d;
  }
  if (!opens_on.empty()) {
    auto d = Date::parse_iso(opens_on);
    if (!d) return error("rollover.bad_argument", "--opens-on '" + opens_on + "' is not a date YYYY-MM-DD");
    y.opens_on = *d;
  }
  // The old year ends in its second calendar year; the new one starts after that, the same year.
  if (y.closes_on < Date{end, 1, 1} || y.closes_on > Date{end, 8, 31})
    return error("rollover.bad_argument", "--closes-on " + y.closes_on.iso() + " is not at the end of " + from_year +
                                              " (expected between " + std::to_string(end) + "-01-01 and " +
                                              std::to_string(end) + "-08-31)");
  if (y.opens_on <= y.closes_on || y.opens_on > Date{end, 12, 31})
    return error("rollover.bad_argument", "--opens-on " + y.opens_on.iso() + " must be after --closes-on " +
                                              y.closes_on.iso() + " and in " + std::to_string(end));
  return y;
}

RolloverPlan Rollover::plan(const RolloverYears& years, const std::string& actor, const std::string& host) {
  return pg_.with_transaction([&](pqxx::work& tx) {
    RolloverPlan p;
    p.years = years;
    p.status = "planned";
    p.items = compute(tx, years);
    p.counts = count_outcomes(p.items);
    p.fingerprint = fingerprint(years, p.items);
    p.id = tx.exec_params1(
                 "insert into rollover_plan(from_year, to_year, closes_on, opens_on, fingerprint, counts, created_by)"
                 " values ($1, $2, $3::date, $4::date, decode($5, 'hex'), $6::jsonb, $7) returning id",
                 years.from_year, years.to_year, years.closes_on.iso(), years.opens_on.iso(), p.fingerprint,
                 counts_json(p.counts), actor)[0]
               .as<long long>();
    for (std::size_t start = 0; start < p.items.size(); start += 5000) {
      json::JsonWriter w;
      w.begin_array();
      for (std::size_t i = start; i < std::min(p.items.size(), start + 5000); ++i) {
        const auto& it = p.items[i];
        w.begin_object().kv("e", it.enrollment_id).kv("v", it.enrollment_version).kv("o", it.outcome)
            .kv("r", it.reason).kv("fg", it.from_grade).kv("c", it.closes).kv("n", it.opens);
        w.key("st");
        if (it.student_id.empty()) w.null(); else w.value(it.student_id);
        w.key("sc");
        if (it.school_id.empty()) w.null(); else w.value(it.school_id);
        w.key("tg");
        if (it.to_grade.empty()) w.null(); else w.value(it.to_grade);
        w.key("cs");
        if (it.close_status.empty()) w.null(); else w.value(it.close_status);
        w.end_object();
      }
      w.end_array();
      tx.exec_params(
          "insert into rollover_plan_item(plan_id, enrollment_id, enrollment_version, student_id, school_id,"
          " from_grade, outcome, reason, to_grade, close_status, closes, opens)"
          " select $2, r.e, r.v, r.st, r.sc, r.fg, r.o, r.r, r.tg, r.cs, r.c, r.n"
          " from jsonb_to_recordset($1::jsonb) as r(e uuid, v int, st uuid, sc uuid, fg text, o text, r text,"
          "   tg text, cs text, c boolean, n boolean)",
          w.str(), p.id);
    }
    json::JsonWriter detail;
    detail.begin_object().kv("plan", p.id).kv("closes_on", years.closes_on.iso()).kv("opens_on", years.opens_on.iso())
        .key("counts").raw(counts_json(p.counts)).end_object();
    AuditLog::record(tx, actor, "rollover.plan", years.from_year + "->" + years.to_year, host, detail.str());
    return p;
  });
}

std::optional<RolloverPlan> Rollover::load(long long plan_id) {
  return pg_.with_transaction([&](pqxx::work& tx) -> std::optional<RolloverPlan> {
    auto rows = tx.exec_params(
        "select from_year, to_year, closes_on::text, opens_on::text, status, encode(fingerprint, 'hex')"
        " from rollover_plan where id = $1",
        plan_id);
    if (rows.empty()) return std::nullopt;
    RolloverPlan p;
    p.id = plan_id;
    p.years = {rows[0][0].c_str(), rows[0][1].c_str(), *Date::parse_iso(rows[0][2].c_str()),
               *Date::parse_iso(rows[0][3].c_str())};
    p.status = rows[0][4].c_str();
    p.fingerprint = rows[0][5].c_str();
    for (const auto& r : tx.exec_params(
             "select i.enrollment_id::text, i.enrollment_version, coalesce(i.student_id::text, ''),"
             " coalesce(i.school_id::text, ''), coalesce(s.data->>'school_code', ''), i.from_grade, i.outcome,"
             " i.reason, coalesce(i.to_grade, ''), coalesce(i.close_status, ''), i.closes, i.opens,"
             " coalesce(i.new_enrollment_id::text, '')"
             " from rollover_plan_item i left join golden_record s on s.id = i.school_id"
             " where i.plan_id = $1 order by i.enrollment_id",
             plan_id)) {
      RolloverItem it;
      it.enrollment_id = r[0].c_str();
      it.enrollment_version = r[1].as<int>();
      it.student_id = r[2].c_str();
      it.school_id = r[3].c_str();
      it.school_code = r[4].c_str();
      it.from_grade = r[5].c_str();
      it.outcome = r[6].c_str();
      it.reason = r[7].c_str();
      it.to_grade = r[8].c_str();
      it.close_status = r[9].c_str();
      it.closes = r[10].as<bool>();
      it.opens = r[11].as<bool>();
      it.new_enrollment_id = r[12].c_str();
      p.items.push_back(std::move(it));
    }
    p.counts = count_outcomes(p.items);
    return p;
  });
}

Result<RolloverApplied> Rollover::apply(long long plan_id, const std::string& from_year, const std::string& to_year,
                                        const std::string& actor, const std::string& host) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<RolloverApplied> {
    tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
    auto rows = tx.exec_params(
        "select from_year, to_year, closes_on::text, opens_on::text, status, encode(fingerprint, 'hex'),"
        " coalesce(batch_id, 0) from rollover_plan where id = $1 for update",
        plan_id);
    if (rows.empty()) return error("rollover.unknown_plan", "there is no rollover plan " + std::to_string(plan_id));
    RolloverYears y{rows[0][0].c_str(), rows[0][1].c_str(), *Date::parse_iso(rows[0][2].c_str()),
                    *Date::parse_iso(rows[0][3].c_str())};
    if (y.from_year != from_year || y.to_year != to_year)
      return error("rollover.wrong_years", "plan " + std::to_string(plan_id) + " is for " + y.from_year + " -> " +
                                               y.to_year + ", not " + from_year + " -> " + to_year);
    RolloverApplied out;
    out.plan_id = plan_id;
    if (std::string(rows[0][4].c_str()) == "applied") {
      out.already_applied = true;
      out.batch_id = rows[0][6].as<long long>();
      return out;
    }
    // Lock the old year's enrollments (id order, as the golden store does) before deciding
    // again, so what is decided is what gets written.
    tx.exec_params(
        "select id from golden_record where entity = 'enrollment' and merged_into is null"
        " and data->>'school_year' = $1 order by id for update",
        y.from_year);
    auto items = compute(tx, y);
    if (fingerprint(y, items) != rows[0][5].c_str())
      return error("rollover.stale_plan", "the enrollments or year-end results changed since plan " +
                                              std::to_string(plan_id) + " was made; make a new plan and review it");

    std::vector<const RolloverItem*> changes;
    for (const auto& it : items)
      if (it.closes || it.opens) changes.push_back(&it);
    if (!changes.empty()) {
      long long partner_id = tx.exec_params1(
          "insert into partner(name, display_name) values ($1, 'School year rollover (hubctl rollover)')"
          " on conflict (name) do update set name = excluded.name returning id",
          kRolloverPartner)[0].as<long long>();
      json::JsonWriter body;
      body.begin_object().kv("rollover_plan", plan_id).kv("from_year", y.from_year).kv("to_year", y.to_year)
          .kv("closes_on", y.closes_on.iso()).kv("opens_on", y.opens_on.iso()).kv("actor", actor)
          .kv("changes", static_cast<long long>(changes.size())).end_object();
      std::string version = "rollover plan " + std::to_string(plan_id);
      // The idempotency key makes a second batch for the same plan impossible.
      tx.exec_params("insert into inbox_idempotency(partner_id, idempotency_key) values ($1, $2)", partner_id,
                     "rollover-plan-" + std::to_string(plan_id));
      out.batch_id = tx.exec_params1(
          "insert into inbox_batch(partner_id, feed, content_type, body, body_sha256, idempotency_key, status,"
          " record_count, next_index, mapping_version, started_at)"
          " values ($1, 'rollover', 'application/json', $2, $3, $4, 'processing', $5, $5, $6, now()) returning id",
          partner_id, pqxx::binarystring(body.str()), pqxx::binarystring(crypto::sha256(body.str())),
          "rollover-plan-" + std::to_string(plan_id), static_cast<int>(changes.size()), version)[0]
                         .as<long long>();
      resolve::ExactResolver resolver;
      GoldenStore store(resolver);
      ChunkContext ctx{partner_id, kRolloverPartner, {}, out.batch_id, version, &snapshot_};
      json::JsonWriter created;
      created.begin_array();
      for (std::size_t start = 0; start < changes.size(); start += kChunk) {
        std::vector<mapping::RecordResult> results;
        std::size_t end = std::min(changes.size(), start + kChunk);
        for (std::size_t i = start; i < end; ++i) results.push_back(records_of(*changes[i], y, i));
        auto outcomes = store.apply(tx, ctx, results);
        for (std::size_t i = start; i < end; ++i) {
          const auto& it = *changes[i];
          const auto& o = outcomes[i - start];
          if (o.status == "rejected")
            throw std::runtime_error("the golden store refused the change of enrollment " + it.enrollment_id + ": " +
                                     (o.errors.empty() ? o.status : o.errors.front().message));
          // Entities come in record order: the closed enrollment first, then the opened one.
          std::size_t k = 0;
          if (it.closes) {
            // The natural key must have led back to the same enrollment, or the plan's close
            // would have landed on another record: stop everything.
            if (k >= o.entities.size() || o.entities[k].second != it.enrollment_id)
              throw std::runtime_error("enrollment " + it.enrollment_id +
                                       " is not the record of its natural key (student, school, school_year);"
                                       " nothing was applied");
            ++out.closed;
            ++k;
          }
          if (it.opens && k < o.entities.size()) {
            created.begin_object().kv("e", it.enrollment_id).kv("n", o.entities[k].second).end_object();
            ++out.opened;
          }
        }
      }
      created.end_array();
      tx.exec_params(
          "update rollover_plan_item i set new_enrollment_id = r.n from jsonb_to_recordset($1::jsonb) as r(e uuid, n uuid)"
          " where i.plan_id = $2 and i.enrollment_id = r.e",
          created.str(), plan_id);
      tx.exec_params(
          "update inbox_batch set status = 'done', finished_at = now(),"
          " counts = coalesce((select jsonb_object_agg(status, n) from (select status, count(*) n"
          "   from batch_record where batch_id = $1 group by status) c), '{}') where id = $1",
          out.batch_id);
    }
    tx.exec_params(
        "update rollover_plan set status = 'applied', applied_by = $2, applied_at = now(), batch_id = nullif($3, 0)"
        " where id = $1",
        plan_id, actor, out.batch_id);
    json::JsonWriter detail;
    detail.begin_object().kv("plan", plan_id).kv("batch", out.batch_id).kv("closed", out.closed)
        .kv("opened", out.opened).end_object();
    AuditLog::record(tx, actor, "rollover.apply", y.from_year + "->" + y.to_year, host, detail.str());
    return out;
  });
}

}  // namespace hub
