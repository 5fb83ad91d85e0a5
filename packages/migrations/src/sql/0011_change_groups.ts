import type { SqlMigration } from "./Migration.js"

/**
 * change_log stored as groups: one `change_groups` row per transaction, table and workspace
 * (at most 1,000 changes each) instead of one row per change. Postgres' cost of storing the
 * feed was most of its per-change CPU: a row, its key and two index entries for every
 * change (bench/feed-log-write.ts). The format of `changes` is described in
 * apps/server/src/feed/changeGroups.ts. It is stored uncompressed: compressing groups of
 * JSON costs more CPU than the row-per-change layout saved.
 *
 * Existing rows become groups of one change each, so no history is lost and offsets stay
 * what they were. `change_log` remains as a view with the old columns, one row per change,
 * for people and tests; the server reads the groups.
 */
export default {
  id: 11,
  name: "change_groups",
  sql: `
create table change_groups (
  -- Commit LSN of the transaction, and positions of the group's first and last change in it.
  lsn bigint not null,
  pos integer not null,
  last_pos integer not null,
  -- Number of changes in the group.
  n integer not null,
  xid bigint not null,
  tbl text not null,
  -- '*' for a truncate, which concerns every workspace.
  workspace_id text not null,
  committed_at timestamptz not null,
  -- Records separated by U+001E, each: pos U+001F op U+001F row id as JSON U+001F value U+001F old.
  changes text not null,
  primary key (lsn, pos)
);
alter table change_groups alter column changes set storage external;

insert into change_groups (lsn, pos, last_pos, n, xid, tbl, workspace_id, committed_at, changes)
select lsn, pos, pos, 1, xid, tbl, workspace_id, committed_at,
       concat_ws(E'\\x1f', pos::text, op::text, to_json(row_id)::text, value, coalesce(old, ''))
from change_log;
drop table change_log;

create index change_groups_shape_idx on change_groups (tbl, workspace_id, lsn, pos);
-- An initial sync finds in-flight transactions by xid: their first change's group is enough.
create index change_groups_tx_xid_idx on change_groups (xid) where pos = 1;

create view change_log as
select g.lsn,
       split_part(r.rec, E'\\x1f', 1)::integer as pos,
       g.xid, g.tbl, g.workspace_id,
       split_part(r.rec, E'\\x1f', 3)::json #>> '{}' as row_id,
       split_part(r.rec, E'\\x1f', 2)::"char" as op,
       split_part(r.rec, E'\\x1f', 4) as value,
       nullif(split_part(r.rec, E'\\x1f', 5), '') as old,
       g.committed_at
from change_groups g, string_to_table(g.changes, E'\\x1e') as r(rec);
`,
} satisfies SqlMigration
