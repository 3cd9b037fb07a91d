-- School year rollover (hubctl rollover): each dry run is stored as a plan with one row per
-- enrollment it looked at, so the plan that is applied is the one that was reviewed. The
-- changes themselves go through the golden store (versions, lineage, change log) as a batch of
-- the reserved partner "rollover".

create table rollover_plan (
  id          bigserial primary key,
  from_year   text not null,
  to_year     text not null,
  closes_on   date not null,                 -- valid_to given to the old year's enrollments
  opens_on    date not null,                 -- valid_from of the new year's enrollments
  status      text not null default 'planned' check (status in ('planned', 'applied')),
  -- SHA-256 of the decisions (enrollment, version, outcome, actions); apply recomputes the plan
  -- and refuses when it no longer matches, i.e. when the data changed after the review
  fingerprint bytea not null,
  counts      jsonb not null default '{}',
  created_by  text not null,
  created_at  timestamptz not null default now(),
  applied_by  text,
  applied_at  timestamptz,
  batch_id    bigint references inbox_batch(id)  -- the golden-store batch of the changes
);
create index rollover_plan_years on rollover_plan(from_year, to_year, id desc);

create table rollover_plan_item (
  plan_id            bigint not null references rollover_plan(id),
  enrollment_id      uuid not null,          -- the old year's enrollment
  enrollment_version int not null,
  student_id         uuid,
  school_id          uuid,
  from_grade         text not null default '',
  outcome            text not null check (outcome in ('promoted', 'repeating', 'graduated', 'undecided', 'not_rolled')),
  reason             text not null default '',
  to_grade           text,                   -- grade of the new enrollment, when one is opened
  close_status       text,                   -- status given to the closed enrollment (graduates)
  closes             boolean not null,       -- the old enrollment gets valid_to = closes_on
  opens              boolean not null,       -- a new enrollment is created
  new_enrollment_id  uuid,                   -- set when applied
  primary key (plan_id, enrollment_id)
);
