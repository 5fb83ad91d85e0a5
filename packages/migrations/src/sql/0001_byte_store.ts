import type { SqlMigration } from "./Migration.js"

export default {
  id: 1,
  name: "byte_store",
  sql: `
create table workspaces (
  id text primary key,
  name text not null,
  -- sha256 of the creator's secret: lets the creator retry registration idempotently.
  creator_key_hash text not null,
  master_token_id text not null,
  created_at timestamptz not null default now()
);

create table tokens (
  id text primary key,
  workspace_id text not null references workspaces (id) on delete cascade,
  role text not null check (role in ('master', 'editor', 'viewer')),
  label text not null default '',
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index tokens_workspace_idx on tokens (workspace_id);

-- One row per document: its row lock serialises seq allocation, so seqs commit in order (cursor rule).
create table docs (
  workspace_id text not null references workspaces (id) on delete cascade,
  doc_id text not null,
  last_seq bigint not null default 0,
  created_at timestamptz not null default now(),
  primary key (workspace_id, doc_id)
);

create table doc_updates (
  workspace_id text not null,
  doc_id text not null,
  seq bigint not null,
  bytes bytea not null,
  client_id text,
  idempotency_key text,
  created_at timestamptz not null default now(),
  primary key (workspace_id, doc_id, seq),
  foreign key (workspace_id, doc_id) references docs (workspace_id, doc_id) on delete cascade
);
create unique index doc_updates_idempotency_idx on doc_updates (workspace_id, doc_id, idempotency_key)
  where idempotency_key is not null;

create table doc_snapshots (
  workspace_id text not null,
  doc_id text not null,
  seq bigint not null,
  bytes bytea not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, doc_id, seq),
  foreign key (workspace_id, doc_id) references docs (workspace_id, doc_id) on delete cascade
);
`,
} satisfies SqlMigration
