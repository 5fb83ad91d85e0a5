import type { SqlMigration } from "./Migration.js"

/**
 * The relational views of the documents (must match `projectionTables` in @vibestack/schema,
 * which a test checks) and the projection job's bookkeeping. No foreign keys: the projection
 * keeps orphans exactly as the document does.
 */
export default {
  id: 2,
  name: "projection_tables",
  sql: `
create table projects (
  workspace_id text not null,
  id text not null,
  name text not null,
  color text not null,
  archived boolean not null,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);

create table tasks (
  workspace_id text not null,
  id text not null,
  project_id text not null,
  title text not null,
  description text not null,
  status text not null,
  priority text not null,
  assignee_id text,
  due_date date,
  sort_key text collate "C" not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (workspace_id, id)
);
create index tasks_project_order_idx on tasks (workspace_id, project_id, sort_key, id);
create index tasks_assignee_idx on tasks (workspace_id, assignee_id);
create index tasks_status_idx on tasks (workspace_id, status);

create table comments (
  workspace_id text not null,
  id text not null,
  task_id text not null,
  author_id text not null,
  body text not null,
  created_at timestamptz not null,
  primary key (workspace_id, id)
);
create index comments_task_idx on comments (workspace_id, task_id, created_at);

create table members (
  workspace_id text not null,
  id text not null,
  name text not null,
  color text not null,
  primary key (workspace_id, id)
);

-- How far the projection got per document; advanced in the same transaction as the rows.
create table projection_state (
  workspace_id text not null,
  doc_id text not null,
  projected_seq bigint not null default 0,
  -- seq covered by the newest snapshot the projection wrote to doc_snapshots.
  snapshot_seq bigint not null default 0,
  issues integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, doc_id)
);

-- Updates that failed to import; skipped so they never stall the document or others.
create table projection_quarantine (
  workspace_id text not null,
  doc_id text not null,
  seq bigint not null,
  reason text not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, doc_id, seq)
);
`,
} satisfies SqlMigration
