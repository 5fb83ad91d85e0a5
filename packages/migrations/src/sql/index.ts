import m0001 from "./0001_byte_store.js"
import m0002 from "./0002_projection_tables.js"
import m0003 from "./0003_change_feed.js"
import m0004 from "./0004_backups.js"
import m0005 from "./0005_quarantined_updates.js"
import m0006 from "./0006_append_updates.js"
import m0007 from "./0007_doc_bytes.js"
import m0008 from "./0008_feed_old_rows.js"
import m0009 from "./0009_append_updates_node.js"
import m0010 from "./0010_feed_tx_xid_index.js"
import m0011 from "./0011_change_groups.js"
import m0012 from "./0012_append_updates_small.js"
import m0013 from "./0013_append_updates_one.js"
import m0014 from "./0014_push_counts_bytes.js"
import m0015 from "./0015_append_updates_set_probe.js"
import type { SqlMigration } from "./Migration.js"

export type { SqlMigration } from "./Migration.js"

/** Every server migration, in order. Append only. */
export const sqlMigrations: ReadonlyArray<SqlMigration> = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
]
