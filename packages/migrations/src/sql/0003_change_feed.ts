import type { SqlMigration } from "./Migration.js"

/**
 * The relational change feed: every committed change to the projection tables, read from
 * the WAL through a pgoutput slot, keyed by (commit LSN, position in the transaction),
 * which is the feed offset. `feed_state` holds the slot's generation (epoch): a new slot
 * (after a lost one) means a new epoch, and every consumer of an older one must refetch.
 */
export default {
  id: 3,
  name: "change_feed",
  sql: `
create publication vibestack_feed for table projects, tasks, comments, members;

create table change_log (
  -- LSN where the transaction's commit record starts, as a number.
  lsn bigint not null,
  -- 1-based position of the change in its transaction.
  pos integer not null,
  -- 32-bit transaction id: lets an initial sync tell which changes its snapshot saw.
  xid bigint not null,
  tbl text not null,
  -- '*' for a truncate, which concerns every workspace.
  workspace_id text not null,
  row_id text not null,
  -- 'i' insert, 'u' update, 'd' delete, 't' truncate.
  op "char" not null,
  -- Column values as Postgres text (JSON object of strings or null); deletes carry the key.
  -- Updates omit unchanged TOASTed columns, which the consumer already has.
  value text not null,
  committed_at timestamptz not null,
  primary key (lsn, pos)
);
create index change_log_shape_idx on change_log (tbl, workspace_id, lsn, pos);
create index change_log_xid_idx on change_log (xid);

create table feed_state (
  id integer primary key check (id = 1),
  -- Generation of the slot; bumped whenever the slot is (re)created.
  epoch integer not null default 0,
  slot_name text not null default 'vibestack_feed',
  -- Where the current slot's history starts.
  epoch_lsn bigint not null default 0,
  -- Every commit whose commit LSN is below this is in change_log.
  stored_lsn bigint not null default 0,
  -- Offsets at or below (low_water_lsn, max) were trimmed away by retention.
  low_water_lsn bigint not null default 0,
  holder text,
  updated_at timestamptz not null default now()
);
insert into feed_state (id) values (1);
`,
} satisfies SqlMigration
