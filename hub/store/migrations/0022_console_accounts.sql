-- Personal accounts of the people who run the data (the web console at /console) and their
-- sessions. A person answers for what they change: audit rows name them as user:<login>.

create table console_user (
  id            bigserial primary key,
  login         text not null unique check (login ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  name          text not null default '',
  email         text not null default '',
  -- dept_admin: everything; dept_staff: read all, decide reviews, run reports;
  -- commune_staff / school_staff: read their own units only
  role          text not null check (role in ('dept_admin', 'dept_staff', 'commune_staff', 'school_staff')),
  -- e.g. ["commune:11311"]; empty = every unit (department roles only)
  units         jsonb not null default '[]' check (jsonb_typeof(units) = 'array'),
  -- school levels the person answers for, e.g. ["primary", "lower_secondary"]; empty = all
  levels        jsonb not null default '[]' check (jsonb_typeof(levels) = 'array'),
  -- Argon2id in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash): never the password
  password_hash text not null check (password_hash like '$argon2id$%'),
  disabled_at   timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);

-- A session id is 256 bits from the CSPRNG, sent only in the cookie; only its SHA-256 is kept,
-- so a copy of this table signs nobody in.
create table console_session (
  id_hash     bytea primary key check (length(id_hash) = 32),
  user_id     bigint not null references console_user(id) on delete cascade,
  -- sent back in X-CSRF-Token on every state-changing request made with the cookie
  csrf_token  text not null,
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  client      text not null default ''
);
create index console_session_user on console_session(user_id);
create index console_session_expires on console_session(expires_at);
