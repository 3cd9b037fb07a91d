-- Resolver cost per record, continued (docs/benchmarks.md, "Ingest vs PostgreSQL COPY", run 12).
-- Each student writes about five match_block rows and looks up as many blocks; those index
-- operations were, with the fencing rows, the largest part of PostgreSQL's time left.
--
-- A block is a 64-bit hash of the entity's name, the key's position and its values
-- (resolve::blocking_keys): the entity column adds nothing to the index key but a text
-- comparison at every step of every descent. Candidates are looked up by block alone.
create index match_block_by_block on match_block(block, added_at desc) include (record_id);
drop index match_block_recent_ids;
-- The index by record served merges, which moved the merged record's rows; they now work
-- from its blocks, computed from its profile, like unmerge. One B-tree entry less per row.
drop index match_block_record;

-- The fencing rows likewise: one per block hash.
alter table resolve_fence drop constraint resolve_fence_pkey;
alter table resolve_fence add primary key (block);
