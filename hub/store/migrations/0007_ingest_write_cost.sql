-- Ingest write cost: golden_record_entity (entity, updated_at) of 0002 is a prefix of
-- golden_record_entity_updated (entity, updated_at, id) of 0005, which serves every query the
-- first one served. Each golden row insert and update (updated_at changes, so no HOT update)
-- paid for both; now for one.
drop index if exists golden_record_entity;
