-- Fence rows are cleaned once old (ProbabilisticResolver::clean_fences): when each was last
-- written, by the clock at the write (not the transaction start), so the resolver can refuse a
-- token drawn before a deleted row was written (docs/matching.md, "Fencing rows").
alter table resolve_fence add column written_at timestamptz not null default clock_timestamp();
create index resolve_fence_written on resolve_fence(written_at);

-- Candidate lookup reads (entity, block) -> the most recent record ids from the index alone
-- (an index-only scan), not one heap page per candidate.
create index match_block_recent_ids on match_block(entity, block, added_at desc) include (record_id);
drop index match_block_recent;
