import type { SqlMigration } from "./Migration.js"

/**
 * An initial sync looks up the changes of the transactions its snapshot saw in flight by
 * their xid (apps/server/src/feed/readSnapshot.ts). Every change of a transaction carries
 * its commit LSN, so one index entry per transaction is enough: its first change's
 * (`pos = 1`), from which the LSN leads to the rest through the primary key. Storing a
 * batch of 1,000-change transactions then maintains one xid entry per 1,000 rows instead
 * of one per row (the xid index was about an eighth of Postgres' CPU per stored change;
 * bench/feed-log-write.ts). Existing rows are covered: the index is built over them.
 */
export default {
  id: 10,
  name: "feed_tx_xid_index",
  sql: `
create index change_log_tx_xid_idx on change_log (xid) where pos = 1;
drop index change_log_xid_idx;
`,
} satisfies SqlMigration
