-- School lifecycle events (hubctl school, POST /v1/admin/schools/events): open, rename, recode,
-- merge, split, change of level or type, dissolve. Like the rollover, each event is first a
-- stored plan listing every record it will change, so that what is applied is what was
-- reviewed; the changes are dated versions of the records (never rewrites), written in one
-- transaction with the change log. An applied event is kept with its legal reference and who
-- applied or undid it; the code crosswalk lets pushes that still use an old code find the
-- successor school.

create table school_event_plan (
  id              bigserial primary key,
  kind            text not null check (kind in ('open', 'rename', 'recode', 'merge', 'split', 'change_level',
                                                'change_type', 'dissolve')),
  effective_on    date not null,
  decision_number text not null check (length(decision_number) between 1 and 100),
  predecessors    uuid[] not null default '{}',  -- schools the event ends or changes
  successors      uuid[] not null default '{}',  -- schools their students continue in
  changes         jsonb not null default '{}',   -- new values: name, school_code, school_level, school_type
  status          text not null default 'planned' check (status in ('planned', 'applied', 'undone')),
  -- SHA-256 of the items (record, version, action, target); apply recomputes the plan and
  -- refuses when it no longer matches: the data changed after the review
  fingerprint     bytea not null,
  counts          jsonb not null default '{}',
  created_by      text not null,
  created_at      timestamptz not null default now()
);

-- One row per record the event changes or asks a person about.
create table school_event_plan_item (
  plan_id        bigint not null references school_event_plan(id),
  seq            int not null,
  entity         text not null,           -- school | enrollment | class
  record_id      uuid not null,
  record_version int not null,
  -- school_version: a new version of the school (detail: values, valid_from / valid_to);
  -- move: an enrollment ends the day before and continues in the successor;
  -- move_class: a class continues in the successor (its students move with it);
  -- review: an enrollment a person must place (split: which successor; dissolve: where now);
  -- conflict: cannot be moved automatically (detail.reason), listed for a person
  action         text not null check (action in ('school_version', 'move', 'move_class', 'review', 'conflict')),
  target_id      uuid,                    -- the successor school of a move
  detail         jsonb not null default '{}',
  new_record_id  uuid,                    -- the record created when applied (move, move_class)
  review_item_id bigint,                  -- review items opened when applied
  decided_by     text,                    -- a split decided by class (hubctl school decide-class)
  decided_at     timestamptz,
  primary key (plan_id, seq)
);
create index school_event_plan_item_record on school_event_plan_item(record_id);

-- The events applied, with their legal reference.
create table school_event (
  id              bigserial primary key,
  plan_id         bigint not null unique references school_event_plan(id),
  kind            text not null,
  effective_on    date not null,
  decision_number text not null,
  predecessors    uuid[] not null,
  successors      uuid[] not null,
  batch_id        bigint,  -- the golden-store batch of the changes (no foreign key: inbox_batch is partitioned by month)
  applied_by      text not null,
  applied_at      timestamptz not null default now(),
  undo_batch_id   bigint,
  undone_by       text,
  undone_at       timestamptz
);

-- Old school code -> the school that answers for it from a date (recode: the same school;
-- merge: the successor). Rows of an undone event stay, marked by the event's undone_at.
create table school_code_crosswalk (
  old_code     text not null,
  successor_id uuid not null,
  from_date    date not null,
  event_id     bigint not null references school_event(id),
  primary key (old_code, event_id)
);
create index school_code_crosswalk_code on school_code_crosswalk(old_code, from_date desc);

-- records_as_of (migration 0020) with valid time for every entity whose versions carry dates:
-- a school event gives a school (not an effective-dated entity) a dated version. Of each record
-- the version read is the last recorded one that had started by the cut-off (valid_from absent
-- or on or before it), in force when its valid_to is absent or not before the cut-off. Records
-- whose versions carry no dates read exactly as before.
create or replace function records_as_of(p_entity text, p_as_of date, p_known_by timestamptz, p_effective_dated boolean)
returns table (id uuid, version int, data jsonb, valid_from date, valid_to date)
language sql stable as $$
  select g.id, v.version, v.data, v.valid_from, v.valid_to
  from golden_record g
  cross join lateral (select c.op from change_log c where c.record_id = g.id and c.at < p_known_by
                      order by c.seq desc limit 1) last
  cross join lateral (select rv.version, rv.data, rv.valid_from, rv.valid_to from record_version rv
                      where rv.record_id = g.id and rv.recorded_at < p_known_by
                        and (p_effective_dated or rv.valid_from is null or rv.valid_from <= p_as_of)
                      order by rv.version desc limit 1) v
  where g.entity = p_entity and last.op not in ('merge', 'delete')
    and (not p_effective_dated
         or (v.valid_from <= p_as_of and (v.valid_to is null or v.valid_to >= p_as_of)))
    and (p_effective_dated or v.valid_to is null or v.valid_to >= p_as_of)
$$;
