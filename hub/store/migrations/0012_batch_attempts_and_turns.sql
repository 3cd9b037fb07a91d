-- Batches that keep failing, and fair claiming between partners (docs/operations.md,
-- "Failing batches").
--
-- attempts: attempts of the batch that ended in an error other than a lost connection or lease;
-- at ingest.max_attempts the batch ends 'failed'. retry_at: the batch is not claimed before it
-- (back-off between attempts). error: the last attempt's error while the batch is retried, the
-- final one once it failed.
alter table inbox_batch
  add column attempts int not null default 0,
  add column retry_at timestamptz;

-- Workers claim from the partner claimed least recently, so a partner with a thousand queued
-- batches does not hold up a partner with one: the claim probes each partner's oldest waiting
-- batch through this index.
create index inbox_batch_partner_pending on inbox_batch(partner_id, id) where status in ('received', 'processing');

-- When a worker last claimed a batch of each partner.
create table ingest_turn (
  partner_id bigint primary key references partner(id),
  claimed_at timestamptz not null
);

-- Failed batches, for operators (hubctl batch list --status failed).
create index inbox_batch_failed on inbox_batch(id) where status = 'failed';
