-- Pending records (docs/operations.md, "Pending records"): a vendor record whose only fault is
-- that it names a record the hub does not know yet (a school code before the school list) is
-- parked instead of rejected, and replayed when what it waits for arrives, from any partner.

alter table batch_record drop constraint batch_record_status_check;
alter table batch_record add constraint batch_record_status_check
  check (status in ('accepted', 'merged', 'review', 'rejected', 'unchanged', 'pending'));

-- One row per parked vendor record while it waits; its batch_record row says 'pending' until it
-- is released (replayed), superseded by a newer push of the same source record, or expires.
-- records: the canonical records as the mapping made them, before references were bound, so the
-- release replays them without the vendor resending and without mapping them again.
create table pending_record (
  id              bigserial primary key,
  batch_id        bigint not null references inbox_batch(id),
  index           int not null,
  partner_id      bigint not null references partner(id),
  feed            text not null,
  source_id       text not null default '',
  record_path     text not null default '',
  mapping_version text not null default '',
  records         jsonb not null,
  received_at     timestamptz not null,
  expires_at      timestamptz not null,
  unique (batch_id, index)
);
-- The release replays in the order the records were received.
create index pending_record_order on pending_record(received_at, batch_id, index);
-- A newer push of the same source record supersedes the parked one.
create index pending_record_source on pending_record(partner_id, feed, source_id);
create index pending_record_expiry on pending_record(expires_at);

-- What each parked record waits for: one row per missing reference. key_name is the natural key
-- reported to the vendor (the entity's first single-field key); the value may arrive under any
-- of key_names, as the reference lookup accepts any of them.
create table pending_ref (
  pending_id bigint not null references pending_record(id) on delete cascade,
  ord        int not null,
  entity     text not null,
  key_name   text not null,
  key_names  text[] not null,
  key_value  text not null,
  field      text not null,   -- canonical entity.field that holds the reference
  path       text not null,   -- normalized path of the vendor record
  primary key (pending_id, ord)
);
create index pending_ref_by_key on pending_ref(entity, key_value);
