import type { SqlMigration } from "./Migration.js"

export default {
  id: 5,
  name: "quarantined_updates",
  sql: `
-- Log entries that \`vibestack doc repair\` took out of a document because they broke it (a
-- whole-document check failed with them, or they depended on such an entry). The original
-- bytes are kept here for inspection; the log entry itself now holds an empty Loro update, so
-- seqs and every client's cursor stay valid.
create table quarantined_updates (
  workspace_id text not null,
  doc_id text not null,
  seq bigint not null,
  bytes bytea not null,
  reason text not null,
  quarantined_at timestamptz not null default now(),
  primary key (workspace_id, doc_id, seq),
  foreign key (workspace_id, doc_id) references docs (workspace_id, doc_id) on delete cascade
);
`,
} satisfies SqlMigration
