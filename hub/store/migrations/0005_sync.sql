-- Warehouse sync: commit-ordered change log, per-consumer durable cursors, dead letters.

-- A reader that pages the change log by seq (the pull API, the push connectors) must never see
-- seq N and later a smaller seq committed by a slower transaction: its cursor would skip that
-- change forever. So every statement that inserts into change_log first takes this
-- transaction-scoped lock, before its rows draw their seq, and holds it until commit: seq order
-- is then commit order. Writers (ingest chunks, merges, unmerges) serialise only from their
-- change_log insert to their commit, which is the end of their transaction. Rolled-back
-- transactions leave gaps, which are never filled later and so are harmless.
create function change_log_commit_order() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock(4851228911826633539);  -- any fixed number: "the change-log lock"
  return null;
end
$$;
create trigger change_log_commit_order before insert on change_log
  for each statement execute function change_log_commit_order();

-- One row per push consumer (config/publication.yaml): how far it has been delivered.
create table sync_consumer (
  name            text primary key,
  cursor          bigint not null default 0,  -- last change_log.seq delivered and acknowledged
  paused          boolean not null default false,
  attempts        int not null default 0,     -- failed attempts of the batch after the cursor
  last_error      text,
  last_attempt_at timestamptz,
  last_success_at timestamptz,
  delivered       bigint not null default 0,  -- changes acknowledged, for status
  updated_at      timestamptz not null default now()
);

-- Batches given up on after the consumer's max_attempts (or refused for good, e.g. 4xx).
-- Delivery goes on after them; `hubctl sync replay --from <first_seq>` sends them again.
create table sync_dead_letter (
  id              bigserial primary key,
  consumer        text not null,
  first_seq       bigint not null,
  last_seq        bigint not null,
  changes         int not null,
  idempotency_key text not null,
  attempts        int not null,
  last_error      text not null,
  created_at      timestamptz not null default now()
);
create index sync_dead_letter_consumer on sync_dead_letter(consumer, id);

-- GET /v1/shared/{entity}?updated_since= pages by (updated_at, id).
create index golden_record_entity_updated on golden_record(entity, updated_at, id);

-- Snapshots as of a date look up each record's last change before the cut-off.
create index change_log_record on change_log(record_id, seq);
