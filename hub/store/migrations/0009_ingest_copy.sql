-- Ingest write cost, continued (docs/benchmarks.md, "Ingest vs PostgreSQL COPY", run 12). Each
-- foreign-key check is a lookup and a row lock on the referenced row: about 10 µs per row, ~70 µs
-- per vendor record across natural_key, source_link and record_version (two rows each per
-- admission record), the largest cost left after the writes themselves.
--
-- Like match_block and match_profile (0008), these rows are written only by the hub, in the same
-- transaction as the golden rows they point to (GoldenStore::apply, merges and unmerges), and
-- golden records and partners are never deleted (a merge keeps both rows; a partner is disabled),
-- so nothing can dangle. tests/ingest/ingest_db_test.cpp checks that after ingest, merges and
-- unmerges every row still points at a golden record.
alter table natural_key drop constraint natural_key_record_id_fkey;
alter table source_link drop constraint source_link_record_id_fkey;
alter table source_link drop constraint source_link_partner_id_fkey;
alter table record_version drop constraint record_version_record_id_fkey;
