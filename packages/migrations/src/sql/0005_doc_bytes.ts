import type { SqlMigration } from "./Migration.js"

export default {
  id: 5,
  name: "doc_bytes",
  sql: `
-- Bytes of update blobs stored per document, kept by the byte store's commit (in the same
-- statement that advances last_seq), so a workspace's stored bytes are a sum over its docs
-- rows, not over its log: the storage quota reads it (apps/server/src/limits/Limits.ts).
alter table docs add column bytes bigint not null default 0;
update docs d set bytes = s.n
  from (select workspace_id, doc_id, sum(octet_length(bytes))::bigint as n from doc_updates group by 1, 2) s
  where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;
`,
} satisfies SqlMigration
