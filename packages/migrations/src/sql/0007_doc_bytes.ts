import type { SqlMigration } from "./Migration.js"

/**
 * Bytes of update blobs stored per document (`docs.bytes`), so a workspace's stored bytes are a
 * sum over its `docs` rows, not over its log: the storage quota reads it
 * (apps/server/src/limits/Limits.ts). Kept by statement-level triggers on `doc_updates`, so every
 * writer counts (the push commit, `vibestack doc repair` replacing entries, deletes) and the
 * commit statement itself is unchanged; the `docs` rows they touch are already locked by the
 * writer. The quota relies on the total never over-counting.
 */
export default {
  id: 7,
  name: "doc_bytes",
  sql: `
alter table docs add column bytes bigint not null default 0;
update docs d set bytes = s.n
  from (select workspace_id, doc_id, sum(octet_length(bytes))::bigint as n from doc_updates group by 1, 2) s
  where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;

create function vibestack_doc_bytes_add() returns trigger language plpgsql as $fn$
begin
  update docs d set bytes = d.bytes + s.n
    from (select workspace_id, doc_id, sum(octet_length(bytes))::bigint as n from added group by 1, 2) s
    where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;
  return null;
end
$fn$;
create function vibestack_doc_bytes_remove() returns trigger language plpgsql as $fn$
begin
  update docs d set bytes = d.bytes - s.n
    from (select workspace_id, doc_id, sum(octet_length(bytes))::bigint as n from removed group by 1, 2) s
    where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;
  return null;
end
$fn$;
create function vibestack_doc_bytes_change() returns trigger language plpgsql as $fn$
begin
  update docs d set bytes = d.bytes + s.n
    from (
      select workspace_id, doc_id, sum(n)::bigint as n from (
        select workspace_id, doc_id, octet_length(bytes) as n from added
        union all
        select workspace_id, doc_id, -octet_length(bytes) from removed
      ) c group by 1, 2
    ) s
    where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;
  return null;
end
$fn$;
create trigger doc_updates_bytes_insert after insert on doc_updates
  referencing new table as added for each statement execute function vibestack_doc_bytes_add();
create trigger doc_updates_bytes_delete after delete on doc_updates
  referencing old table as removed for each statement execute function vibestack_doc_bytes_remove();
create trigger doc_updates_bytes_update after update on doc_updates
  referencing old table as removed new table as added for each statement execute function vibestack_doc_bytes_change();
`,
} satisfies SqlMigration
