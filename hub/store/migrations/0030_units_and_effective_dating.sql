-- A split commune's review item (kind mapping) is decided by naming the new commune
-- (hub/ingest/commune_decision.h): decision 'commune'.
alter table review_item drop constraint review_item_decision_check;
alter table review_item add constraint review_item_decision_check
  check (decision in ('match', 'not_a_match', 'apply', 'keep', 'commune'));

-- Recoding stored commune codes through the 2025 crosswalk (hubctl units recode, hub/ingest/
-- units_recode.h): a plan lists every value it will change; apply writes it once. A split
-- commune's value becomes a review item of kind unit_recode, decided with the new commune.
create table units_recode_plan (
  id          bigserial primary key,
  status      text not null default 'planned' check (status in ('planned', 'applied')),
  fingerprint text not null,      -- of the items, to refuse an apply after the data changed
  recodes     int not null,
  splits      int not null,
  created_by  text not null,
  created_at  timestamptz not null default now(),
  applied_by  text,
  applied_at  timestamptz
);

create table units_recode_item (
  plan_id        bigint not null references units_recode_plan(id),
  record_id      uuid not null,
  entity         text not null,
  field          text not null,
  record_version int not null,
  old_code       text not null,
  new_code       text,                          -- null: a split, decided by a person
  candidates     jsonb not null default '[]',   -- a split: the new communes it went into
  review_item    bigint references review_item(id),
  primary key (plan_id, record_id, field)
);
create index review_item_open_unit_recode on review_item(record_id) where kind = 'unit_recode' and status = 'open';
