-- Partners (vendor systems, the warehouse, ops tools), their tokens and the audit trail.

create table partner (
  id           bigserial primary key,
  name         text not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
  display_name text not null default '',
  -- e.g. ["ingest:student", "pull:*", "admin"]
  scopes       jsonb not null default '[]' check (jsonb_typeof(scopes) = 'array'),
  -- units the partner may send or read data for, e.g. ["school:HP-0001", "commune:11311",
  -- "province:31"]; empty = no unit restriction
  units        jsonb not null default '[]' check (jsonb_typeof(units) = 'array'),
  -- per-partner rate limit; null = the configured default
  rate_per_second double precision check (rate_per_second > 0),
  burst        double precision check (burst >= 1),
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  revoked_at   timestamptz
);

-- Only a SHA-256 of each token is kept; the token itself is shown once, when made.
create table partner_token (
  id          bigserial primary key,
  partner_id  bigint not null references partner(id),
  token_hash  bytea not null unique check (length(token_hash) = 32),
  created_at  timestamptz not null default now(),
  -- expiry given when issued, or set to now()+grace when the token is rotated out
  expires_at  timestamptz,
  revoked_at  timestamptz,
  created_by  text not null default ''
);
create index partner_token_partner on partner_token(partner_id);

-- Every administrative action and every authentication failure.
create table audit_log (
  id      bigserial primary key,
  at      timestamptz not null default now(),
  actor   text not null,           -- partner name, "hubctl:<user>", or "anonymous"
  action  text not null,           -- e.g. partner.add, token.rotate, auth.failure
  target  text not null default '',
  source  text not null default '',-- client address or host name
  detail  jsonb not null default '{}'
);
create index audit_log_at on audit_log(at);
create index audit_log_action on audit_log(action, at);
create index audit_log_actor on audit_log(actor, at);
