-- Resolver write cost (docs/benchmarks.md, "Ingest vs PostgreSQL COPY"): match_block was the
-- most expensive statement of an ingest chunk. Each of its ~5 rows per student paid for three
-- B-tree entries and a foreign-key check (a lookup and a row lock on golden_record).
--
-- match_block and match_profile are the resolver's own index of golden records: derived,
-- written only by the resolver in the same transaction as the golden rows they point to, and
-- rebuilt from profiles on merge and unmerge. Their foreign keys are dropped; golden records
-- are never deleted (a merge keeps both rows), so nothing can dangle.
alter table match_block drop constraint match_block_record_id_fkey;
alter table match_profile drop constraint match_profile_record_id_fkey;
-- Candidates are read through match_block_recent_ids (entity, block, added_at desc, record_id);
-- the primary key was only there for ON CONFLICT. The writers skip rows that exist instead:
-- two chunks writing the same block hold its lock (and its resolve_fence row), so they cannot race.
alter table match_block drop constraint match_block_pkey;

-- Fencing rows are rewritten by every chunk that resolves their key. The index on written_at
-- made each rewrite a new heap tuple plus two index entries; without it (and with room on the
-- page) the rewrite is a HOT update in place. Cleaning old rows scans the table instead, which
-- is cheap: clean_fences runs once every 64 tokens, and most rows are old.
drop index resolve_fence_written;
alter table resolve_fence set (fillfactor = 50);
