-- Point-in-time restores of the database (hubctl sync restored): the changes after last_seq
-- were lost with the restore, and consumers may have read them; new changes are numbered from
-- resumes_at, so a cursor in between points into the lost stretch and is refused
-- (409 sync.cursor_ahead) instead of silently skipping the changes made since.
create table change_log_restore (
  id          bigserial primary key,
  restored_at timestamptz not null default now(),
  last_seq    bigint not null,
  resumes_at  bigint not null check (resumes_at > last_seq)
);
