import type { SqlMigration } from "./Migration.js"

/**
 * Shapes with a `where` need each change's row before it: an update that stops matching
 * is a delete for that shape, one that starts matching an insert. REPLICA IDENTITY FULL
 * makes pgoutput send the old row (every column, TOASTed ones included) with updates and
 * deletes; `change_log.old` keeps what the feed needs of it. Changes logged before this
 * migration have `old` null and are served as before (see apps/server/src/feed/shapeLog.ts).
 */
export default {
  id: 8,
  name: "feed_old_rows",
  sql: `
alter table projects replica identity full;
alter table tasks replica identity full;
alter table comments replica identity full;
alter table members replica identity full;

-- Updates: the old values of the columns that changed (JSON object of text values).
-- Deletes: the whole old row. Inserts and truncates: null.
alter table change_log add column old text;
`,
} satisfies SqlMigration
