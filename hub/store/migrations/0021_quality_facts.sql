-- Quality and progress reports (hub/reports/quality.h, docs/reports.md): one narrow row per
-- student and staff record with what the measures count, so that a city's report aggregates
-- small rows instead of parsing every record's JSON (300,000 students in well under 2 s).
-- Derived data: kept up to date from change_log by the report code itself (quality_state holds
-- how far it has read), rebuilt from golden_record at any time; the write path never touches it.

create table quality_fact (
  record_id  uuid primary key,
  entity     text not null check (entity in ('student', 'staff')),
  -- students: the school of the enrollment chosen for the record (in force on refreshed_on, else
  -- the next to start, else the last to end); staff: their school. Null: no school known.
  school_id  uuid,
  in_from    date,     -- that enrollment's period (students only)
  in_to      date,
  -- students: that enrollment's status says the student learns there (not transferred out,
  -- dropped out, graduated or deceased); staff: working or on leave
  active     boolean not null,
  missing    text[] not null default '{}',  -- required and expected fields without a value
  pid        text not null check (pid in ('absent', 'malformed', 'well_formed')),
  pid_status text not null check (pid_status in ('verified', 'mismatch', 'not_checked')),
  conflicts  text[] not null default '{}',  -- fields whose sources sent different values
  changed_at timestamptz not null,          -- the hub's time of the last change (record or enrollment)
  lag_days   double precision,              -- source to hub of the record's last change, in days
  refreshed_at timestamptz not null default now()
);
create index quality_fact_school on quality_fact(school_id, entity);

-- How far quality_fact has read change_log, and the day its enrollment choices were made.
create table quality_state (
  id           int primary key check (id = 1),
  cursor       bigint not null,
  refreshed_on date not null
);
