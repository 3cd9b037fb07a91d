-- Entity resolution: what each stored record looks like to the matcher (profile), its hashed
-- blocking keys (candidate lookup by index, so cost per record stays flat as the store grows),
-- fencing tokens of the Redis block locks, "not a match" decisions, and match review items.

-- The values the matching rules compare, accumulated over every source of the record.
create table match_profile (
  record_id  uuid primary key references golden_record(id),
  entity     text not null,
  profile    jsonb not null,
  updated_at timestamptz not null default now()
);

-- Hashed blocking keys (64 bits of SHA-256 of the key's values: no personal ID in clear).
create table match_block (
  entity    text not null,
  block     bigint not null,
  record_id uuid not null references golden_record(id),
  added_at  timestamptz not null default now(),
  primary key (entity, block, record_id)
);
create index match_block_recent on match_block(entity, block, added_at desc);
create index match_block_record on match_block(record_id);

-- Fencing: a chunk that resolved identity under Redis locks writes only if its token is newer
-- than the last one used for each of its blocking keys. A process whose lock expired (paused,
-- partitioned) is refused here even if it still believes it holds the lock.
create sequence resolve_fence_token;
create table resolve_fence (
  entity text not null,
  block  bigint not null,
  token  bigint not null,
  primary key (entity, block)
);

-- "Not a match": never proposed or merged automatically again (record_a < record_b).
create table match_exclusion (
  entity     text not null,
  record_a   uuid not null,
  record_b   uuid not null,
  decided_by text not null,
  decided_at timestamptz not null default now(),
  primary key (entity, record_a, record_b),
  check (record_a < record_b)
);

-- Match review items: the new record, the existing one it may be, the score and its reasons.
alter table review_item
  add column record_id    uuid references golden_record(id),
  add column candidate_id uuid references golden_record(id),
  add column score        double precision,
  add column decision     text check (decision in ('match', 'not_a_match')),
  add column decided_by   text,
  add column decided_at   timestamptz;
create unique index review_item_open_pair on review_item(entity, record_id, candidate_id)
  where kind = 'match' and status = 'open';

-- Merges: the survivor and the merged record's own state at merge time, so unmerge restores it.
create table record_merge (
  id           bigserial primary key,
  entity       text not null,
  survivor_id  uuid not null references golden_record(id),
  merged_id    uuid not null references golden_record(id),
  survivor_before jsonb not null,   -- survivor's data before the merge
  merged_before   jsonb not null,   -- merged record's data
  links        jsonb not null,      -- the merged record's source links [{p, e, s}]
  keys         jsonb not null,      -- its natural keys [{n, v}]
  merged_by    text not null,
  merged_at    timestamptz not null default now(),
  unmerged_at  timestamptz
);
create index record_merge_merged on record_merge(merged_id) where unmerged_at is null;
