-- Inbox (raw payloads, durable before any processing), per-record results, and the golden
-- store: canonical records with row versions, natural keys, source links, field lineage,
-- effective-dated history and the change log.

create table inbox_batch (
  id              bigserial primary key,
  partner_id      bigint not null references partner(id),
  feed            text not null,
  content_type    text not null,            -- application/json | application/x-ndjson
  body            bytea not null,           -- the payload exactly as received
  body_sha256     bytea not null,
  idempotency_key text,
  request_id      text not null default '',
  status          text not null default 'received'
                  check (status in ('received', 'processing', 'done', 'failed')),
  record_count    int,                      -- known once the payload is split into records
  next_index      int not null default 0,   -- records before it have their result committed
  mapping_version text,
  counts          jsonb not null default '{}',
  error           jsonb,                    -- whole-batch failure (e.g. no records found)
  lease_owner     text,
  lease_until     timestamptz,
  received_at     timestamptz not null default now(),
  started_at      timestamptz,
  finished_at     timestamptz
);
create unique index inbox_batch_idempotency on inbox_batch(partner_id, idempotency_key)
  where idempotency_key is not null;
create index inbox_batch_pending on inbox_batch(id) where status in ('received', 'processing');
create index inbox_batch_partner on inbox_batch(partner_id, id desc);

-- What became of each vendor record. Written in the same transaction as the store changes it
-- caused, so after a crash every record has either both or neither.
create table batch_record (
  batch_id   bigint not null references inbox_batch(id),
  index      int not null,
  source_id  text not null default '',
  status     text not null check (status in ('accepted', 'merged', 'review', 'rejected', 'unchanged')),
  entities   jsonb not null default '{}',
  errors     jsonb not null default '[]',
  mapping_version text not null default '',
  primary key (batch_id, index)
);

-- One row per canonical record ("golden record"), whatever its entity.
create table golden_record (
  id          uuid primary key,
  entity      text not null,
  version     int not null default 1,
  data        jsonb not null,               -- current values
  lineage     jsonb not null default '{}',  -- field -> {partner, batch, mapping_version, source_id, at}
  valid_from  date,                         -- effective-dated entities (enrollment ...)
  valid_to    date,
  merged_into uuid references golden_record(id),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index golden_record_entity on golden_record(entity, updated_at);

-- Natural keys (e.g. student personal_id) -> record: exact matching, and the last line against
-- duplicates when two processes create the same record at once.
create table natural_key (
  entity    text not null,
  key_name  text not null,   -- "personal_id" or "school+school_year+term+subject"
  key_value text not null,
  record_id uuid not null references golden_record(id),
  primary key (entity, key_name, key_value)
);
create index natural_key_record on natural_key(record_id);

-- (partner, entity, the vendor's id) -> record, with the hash of what the partner last sent.
create table source_link (
  partner_id   bigint not null references partner(id),
  entity       text not null,
  source_id    text not null,
  record_id    uuid not null references golden_record(id),
  content_hash bytea not null,
  batch_id     bigint not null,
  updated_at   timestamptz not null default now(),
  primary key (partner_id, entity, source_id)
);
create index source_link_record on source_link(record_id);

-- Every version of every record, for as_of questions and the audit of values.
create table record_version (
  record_id   uuid not null references golden_record(id),
  version     int not null,
  data        jsonb not null,
  valid_from  date,
  valid_to    date,
  batch_id    bigint,
  partner_id  bigint,
  recorded_at timestamptz not null default now(),
  primary key (record_id, version)
);

-- Every change, in one increasing sequence (read by the warehouse sync).
create table change_log (
  seq        bigserial primary key,
  entity     text not null,
  record_id  uuid not null,
  op         text not null check (op in ('create', 'update', 'merge', 'unmerge', 'delete')),
  version    int not null,
  batch_id   bigint,
  at         timestamptz not null default now()
);
create index change_log_entity on change_log(entity, seq);

-- Records that need a person: split communes, doubtful matches (entity resolution).
create table review_item (
  id         bigserial primary key,
  kind       text not null,            -- mapping | match
  batch_id   bigint references inbox_batch(id),
  index      int,
  entity     text,
  reasons    jsonb not null default '[]',
  status     text not null default 'open' check (status in ('open', 'resolved')),
  created_at timestamptz not null default now()
);
create index review_item_open on review_item(status, id);
