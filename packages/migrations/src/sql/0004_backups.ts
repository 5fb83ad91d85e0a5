import type { SqlMigration } from "./Migration.js"

export default {
  id: 4,
  name: "backups",
  sql: `
-- One row per workspace backup. The file itself (the container of backupFile.ts) is kept
-- in \`bytes\`, or, when the server is configured with a backup folder, in \`file_path\`.
create table backups (
  id text primary key,
  workspace_id text not null references workspaces (id) on delete cascade,
  kind text not null check (kind in ('manual', 'scheduled', 'uploaded')),
  created_at timestamptz not null default now(),
  size bigint not null,
  sha256 text not null,
  schema_version int not null,
  -- [{docId, cursor, length, sha256}]: what the snapshots cover.
  docs jsonb not null,
  bytes bytea,
  file_path text,
  check ((bytes is null) <> (file_path is null))
);
create index backups_workspace_idx on backups (workspace_id, created_at desc);
`,
} satisfies SqlMigration
