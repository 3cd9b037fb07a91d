-- Cut-off reports: the one reading of "the records as of a date" that snapshots and reports
-- share, and frozen submissions.

-- Every live record of an entity as of a cut-off date, in two times:
-- - valid time: effective-dated entities (p_effective_dated, e.g. enrollment) only when in force
--   on p_as_of (valid_from <= date <= valid_to, valid_to inclusive, absent = still current);
-- - transaction time: of each record the last version recorded before p_known_by ('infinity'
--   for what is known now), and only when its last change before then left it alive (not
--   merged away or deleted).
-- A plain SQL function so that the planner inlines it into the query that calls it.
create function records_as_of(p_entity text, p_as_of date, p_known_by timestamptz, p_effective_dated boolean)
returns table (id uuid, version int, data jsonb, valid_from date, valid_to date)
language sql stable as $$
  select g.id, v.version, v.data, v.valid_from, v.valid_to
  from golden_record g
  cross join lateral (select c.op from change_log c where c.record_id = g.id and c.at < p_known_by
                      order by c.seq desc limit 1) last
  cross join lateral (select rv.version, rv.data, rv.valid_from, rv.valid_to from record_version rv
                      where rv.record_id = g.id and rv.recorded_at < p_known_by
                      order by rv.version desc limit 1) v
  where g.entity = p_entity and last.op not in ('merge', 'delete')
    and (not p_effective_dated
         or (v.valid_from <= p_as_of and (v.valid_to is null or v.valid_to >= p_as_of)))
$$;

-- A report as it was submitted: its figures exactly as computed (the bytes of its JSON), the
-- change-log position they were computed at, its parameters, who froze it and when. A later
-- correction of the data shows as a difference against these figures, never as a change of
-- them: rows are never updated or deleted (the trigger below refuses both).
create table frozen_report (
  id             bigserial primary key,
  kind           text not null check (kind in ('emis')),
  label          text not null default '',
  as_of          date not null,
  by_unit        text not null check (by_unit in ('commune', 'school')),
  level          text not null default '',      -- school_level code, '' = every level
  units          jsonb not null default '[]',   -- the units the figures cover ([] = all)
  change_seq     bigint not null,               -- max(change_log.seq) seen by the computation
  figures        text not null,                 -- the report's JSON, byte for byte
  figures_sha256 text not null,
  frozen_by      text not null,
  frozen_at      timestamptz not null default now()
);
create index frozen_report_as_of on frozen_report(as_of, id);

create function frozen_report_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'frozen reports are immutable: freeze a new report instead'
    using errcode = 'integrity_constraint_violation';
end
$$;
create trigger frozen_report_no_update before update or delete on frozen_report
  for each row execute function frozen_report_immutable();
create trigger frozen_report_no_truncate before truncate on frozen_report
  for each statement execute function frozen_report_immutable();
