-- Retention of raw vendor payloads (hubctl retention): a payload older than
-- retention.raw_payload_days is emptied once its batch is finished, so personal data is not kept
-- longer than needed, while the batch row (hash, counts, idempotency key), its per-record
-- results, the golden records, their lineage and the audit trail stay. body_purged_at says when;
-- a purged batch cannot be processed again (hubctl batch retry refuses it).
alter table inbox_batch add column body_purged_at timestamptz;
create index inbox_batch_retention on inbox_batch(received_at) where body_purged_at is null;
