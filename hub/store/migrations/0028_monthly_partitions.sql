-- Monthly partitions of the tables that grow with every push (docs/operations.md, "Partitions"):
-- change_log (by at), record_version (by recorded_at), inbox_batch (by received_at) and
-- batch_record (by the received_at of its batch). A month that no consumer, report or retention
-- rule needs any more is detached or dropped as a whole by `hubctl partitions`, instead of a
-- DELETE of millions of rows that bloats the table and the WAL.
--
-- A primary key of a partitioned table must hold the partition key, so:
-- - change_log (seq, at): seq still comes from the one sequence change_log_seq_seq and its
--   statement trigger (the change-log lock, 0005) stays on the parent, so seq order is still
--   commit order; readers page by seq through each partition's (seq, at) index.
-- - record_version (record_id, version, recorded_at): versions are written only by the holder of
--   the record's row lock (lock_current, merges, unmerges), one version number each.
-- - inbox_batch (id, received_at): ids come from its sequence. The Idempotency-Key, which must
--   stay unique across months, moves to inbox_idempotency below (not partitioned, one short row
--   per keyed push).
-- - batch_record (batch_id, index, batch_received_at): batch_received_at is its batch's
--   received_at, one value per batch, so (batch_id, index) stays unique and a second result for
--   the same vendor record is still refused (exactly once after kill -9). A batch and its results
--   live in the same month.
-- Foreign keys to inbox_batch(id) (batch_record, pending_record, review_item) cannot stay: a
-- foreign key needs a unique index on exactly the columns it names. Those rows are written only
-- by the hub, in the transaction that reads their batch, and `hubctl partitions` refuses to
-- detach a month whose batches are unfinished or still have parked records.
--
-- Each table is rebuilt on a populated database in this transaction: the old one is renamed, a
-- partitioned one with the same columns, defaults, checks, indexes and triggers is created, the
-- rows are copied, the old table is dropped. Months from the oldest row to three months ahead get
-- their partition; a default partition takes any row outside them (a clock far off, a back-dated
-- row) so that no write is ever refused for want of a partition. The hub creates the coming
-- months at start and daily (hub_ensure_partitions).

-- The partition of p_table for the calendar month (UTC) starting at p_month; false when it exists.
create function hub_create_month_partition(p_table text, p_month date) returns boolean
language plpgsql as $$
declare
  name text := p_table || '_p' || to_char(p_month, 'YYYYMM');
begin
  if to_regclass(name) is not null then
    return false;
  end if;
  execute format('create table %I partition of %I for values from (%L) to (%L)', name, p_table,
                 (p_month::timestamp at time zone 'UTC'),
                 ((p_month + interval '1 month')::timestamp at time zone 'UTC'));
  return true;
end
$$;

-- This month's and the next p_months_ahead months' partitions of every partitioned table; the
-- number created. Hubs starting together serialise on the advisory lock.
create function hub_ensure_partitions(p_months_ahead int) returns int
language plpgsql as $$
declare
  t text;
  m int;
  created int := 0;
  this_month date := date_trunc('month', now() at time zone 'UTC')::date;
begin
  perform pg_advisory_xact_lock(4851228911826633540);  -- any fixed number: "the partition lock"
  foreach t in array array['change_log', 'record_version', 'inbox_batch', 'batch_record'] loop
    for m in 0 .. p_months_ahead loop
      if hub_create_month_partition(t, (this_month + make_interval(months => m))::date) then
        created := created + 1;
      end if;
    end loop;
  end loop;
  return created;
end
$$;

-- Rebuilds p_table as a table partitioned by month on p_key, keeping its columns (plus
-- p_extra_column if given), defaults, checks, non-unique indexes, triggers, foreign keys to other
-- tables and owned sequences; rows come from p_source (a query over <p_table>_unpartitioned).
create function pg_temp.hub_to_monthly(p_table text, p_key text, p_pk text, p_extra_column text,
                                       p_source text) returns void
language plpgsql as $$
declare
  old_name text := p_table || '_unpartitioned';
  idx text;
  trg text;
  fk text;
  indexdefs text[];
  triggerdefs text[];
  fkdefs text[];
  seq record;
  oldest timestamptz;
  month date;
begin
  -- What to recreate, read while the names are still the table's.
  select coalesce(array_agg(pg_get_indexdef(i.indexrelid)), '{}') into indexdefs
    from pg_index i where i.indrelid = p_table::regclass and not i.indisprimary and not i.indisunique;
  select coalesce(array_agg(pg_get_triggerdef(t.oid)), '{}') into triggerdefs
    from pg_trigger t where t.tgrelid = p_table::regclass and not t.tgisinternal;
  select coalesce(array_agg(pg_get_constraintdef(c.oid)), '{}') into fkdefs
    from pg_constraint c where c.conrelid = p_table::regclass and c.contype = 'f'
     and c.confrelid::regclass::text not in ('change_log', 'record_version', 'inbox_batch', 'batch_record');

  execute format('alter table %I rename to %I', p_table, old_name);
  for idx in select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
              where i.indrelid = old_name::regclass loop
    execute format('alter index %I rename to %I', idx, left(idx, 50) || '_unpartitioned');
  end loop;
  for trg in select tgname from pg_trigger where tgrelid = old_name::regclass and not tgisinternal loop
    execute format('drop trigger %I on %I', trg, old_name);
  end loop;

  execute format('create table %I (like %I including defaults including constraints including storage%s)'
                 ' partition by range (%I)', p_table, old_name,
                 case when p_extra_column is null then '' else ', ' || p_extra_column end, p_key);
  execute format('alter table %I add primary key (%s)', p_table, p_pk);
  for seq in select s.relname as seqname, a.attname
               from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
               join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
              where d.refobjid = old_name::regclass and d.deptype = 'a' loop
    execute format('alter sequence %I owned by %I.%I', seq.seqname, p_table, seq.attname);
  end loop;

  execute format('select min(%I) from (%s) s', p_key, p_source) into oldest;
  month := date_trunc('month', coalesce(least(oldest, now()), now()) at time zone 'UTC')::date;
  while month <= date_trunc('month', now() at time zone 'UTC')::date + interval '3 months' loop
    perform hub_create_month_partition(p_table, month);
    month := (month + interval '1 month')::date;
  end loop;
  execute format('create table %I partition of %I default', p_table || '_default', p_table);

  execute format('insert into %I %s', p_table, p_source);
  foreach idx in array indexdefs loop
    execute idx;
  end loop;
  foreach trg in array triggerdefs loop
    execute trg;
  end loop;
  execute format('drop table %I', old_name);
  foreach fk in array fkdefs loop
    execute format('alter table %I add %s', p_table, fk);
  end loop;
  execute format('analyze %I', p_table);
end
$$;

-- Foreign keys naming inbox_batch(id) go (see above), whichever table holds them.
do $$
declare
  c record;
begin
  for c in select conrelid::regclass::text as tbl, conname from pg_constraint
            where contype = 'f' and confrelid = 'inbox_batch'::regclass loop
    execute format('alter table %I drop constraint %I', c.tbl, c.conname);
  end loop;
end
$$;

-- One row per Idempotency-Key a partner used, so a retry months later still finds its batch in
-- whichever month it lives. `hubctl partitions` forgets the keys of the inbox months it detaches
-- (at least retention.raw_payload_days old).
create table inbox_idempotency (
  partner_id      bigint not null,
  idempotency_key text not null,
  received_at     timestamptz not null default now(),
  primary key (partner_id, idempotency_key)
);
insert into inbox_idempotency(partner_id, idempotency_key, received_at)
  select partner_id, idempotency_key, received_at from inbox_batch where idempotency_key is not null;
-- Lookups of a retried push by its key (no longer unique here: see inbox_idempotency).
drop index inbox_batch_idempotency;
create index inbox_batch_idempotency on inbox_batch(partner_id, idempotency_key)
  where idempotency_key is not null;

select pg_temp.hub_to_monthly('inbox_batch', 'received_at', 'id, received_at', null,
                              'select * from inbox_batch_unpartitioned');
select pg_temp.hub_to_monthly('batch_record', 'batch_received_at', 'batch_id, index, batch_received_at',
                              'batch_received_at timestamptz not null',
                              'select r.*, coalesce(b.received_at, ''epoch'') as batch_received_at from batch_record_unpartitioned r'
                              ' left join inbox_batch b on b.id = r.batch_id');
select pg_temp.hub_to_monthly('record_version', 'recorded_at', 'record_id, version, recorded_at', null,
                              'select * from record_version_unpartitioned');
select pg_temp.hub_to_monthly('change_log', 'at', 'seq, at', null,
                              'select * from change_log_unpartitioned');


-- What `hubctl partitions --detach` has taken out of the hub: the detached tables stay in the
-- database (to be archived with pg_dump, then dropped) and are listed here.
create table detached_partition (
  name        text primary key,
  parent      text not null,
  range_from  timestamptz not null,
  range_to    timestamptz not null,
  rows        bigint not null,
  last_seq    bigint,  -- change_log: its last change; a pull cursor before it is refused (sync.cursor_expired)
  detached_at timestamptz not null default now(),
  dropped_at  timestamptz
);
