import type { SqlMigration } from "./Migration.js"

/**
 * The push functions find their rows by index whatever the planner thinks of the tables. A
 * plpgsql statement keeps the plan made in its session's first calls until an ANALYZE of a table
 * it reads, and the commit session is long-lived: plans made while `doc_updates` or `docs` was
 * small stayed after they grew, as hash joins over a sequential scan of the whole table.
 * - The set-based statement (calls of more than 16 pushes, migration 0009's, renamed
 *   `vibestack_append_updates_set` by 0012) joined the pushes to `doc_updates` to find stored
 *   keys: 12-16 ms a call at 90,000 stored updates, against 2 ms once analyzed. A slow commit
 *   lets more pushes queue, so the next call was a large one again: `bench/push.ts`' open loop
 *   at 2,500/s stayed there (commits averaging 17 ms, ack p99 75-330 ms). Its key lookup is now
 *   a `lateral` subquery with a `limit`, never pulled up into a join: one probe of the unique
 *   index `doc_updates_idempotency_idx` per push.
 * - The few-push and set-based bodies and the byte-count triggers read `docs` by the pushes'
 *   (workspace, document) pairs (the triggers after deletes and rewrites too), as semi-joins and
 *   joins: with 100,000 more documents than when the plans were made, 13 ms a five-push call
 *   instead of 0.8. They now run without sequential scans, hash or merge joins (function
 *   settings), so every such read is a primary-key probe.
 * The one-push body reads only by key equality, which is always an index probe. Same rules
 * otherwise (S3, S11, S18).
 */
export default {
  id: 15,
  name: "append_updates_set_probe",
  sql: `
create or replace function vibestack_append_updates_set(
  p_ws text[], p_doc text[], p_bytes bytea[], p_client text[], p_key text[], p_node text
) returns table (ord int, seq bigint, duplicate boolean)
language plpgsql as $fn$
begin
  insert into docs (workspace_id, doc_id)
    select distinct k.w, k.d from unnest(p_ws, p_doc) as k(w, d)
    on conflict do nothing;
  perform 1 from docs d
    where (d.workspace_id, d.doc_id) in (select k.w, k.d from unnest(p_ws, p_doc) as k(w, d))
    order by d.workspace_id, d.doc_id
    for update;
  return query
  with input as (
    select t.i::int as ord, t.w, t.d, t.b, t.c, t.k
    from unnest(p_ws, p_doc, p_bytes, p_client, p_key) with ordinality as t(w, d, b, c, k, i)
  ),
  -- One probe of the key's unique index per push (see this migration's comment).
  prior as (
    select i.ord, u.seq from input i
    cross join lateral (
      select s.seq from doc_updates s
      where s.workspace_id = i.w and s.doc_id = i.d and s.idempotency_key = i.k
      limit 1
    ) u
    where i.k is not null
  ),
  -- The first push of each key in this call (keys not stored before): only it is stored.
  keyed_first as (
    select distinct on (i.w, i.d, i.k) i.ord, i.w, i.d, i.k from input i
    where i.k is not null and i.ord not in (select p.ord from prior p)
    order by i.w, i.d, i.k, i.ord
  ),
  fresh as (
    select i.ord, i.w, i.d, i.b, i.c, i.k,
      h.last_seq + row_number() over (partition by i.w, i.d order by i.ord) as s
    from input i join docs h on h.workspace_id = i.w and h.doc_id = i.d
    where i.ord not in (select p.ord from prior p)
      and (i.k is null or i.ord in (select f.ord from keyed_first f))
  ),
  ins as (
    insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id, idempotency_key)
    select f.w, f.d, f.s, f.b, f.c, f.k from fresh f
    returning 1
  ),
  heads as (
    update docs h set last_seq = m.s
    from (select f.w, f.d, max(f.s) as s from fresh f group by f.w, f.d) m
    where h.workspace_id = m.w and h.doc_id = m.d
    returning h.workspace_id, h.doc_id, h.last_seq
  ),
  notified as (
    select count(pg_notify('vibestack_updates', json_build_object(
      'ws', h.workspace_id, 'doc', h.doc_id, 'seq', h.last_seq,
      't', floor(extract(epoch from clock_timestamp()) * 1000), 'n', p_node
    )::text)) as n from heads h
  )
  select i.ord,
    coalesce(p.seq, f.s, (select f2.s from keyed_first kf join fresh f2 on f2.ord = kf.ord
                          where kf.w = i.w and kf.d = i.d and kf.k = i.k)) as seq,
    f.ord is null as duplicate
  from input i
  left join prior p on p.ord = i.ord
  left join fresh f on f.ord = i.ord
  cross join notified
  order by i.ord;
end
$fn$;

alter function vibestack_append_updates_few(text[], text[], bytea[], text[], text[], text)
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off;
alter function vibestack_append_updates_set(text[], text[], bytea[], text[], text[], text)
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off;
alter function vibestack_doc_bytes_add()
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off;
alter function vibestack_doc_bytes_remove()
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off;
alter function vibestack_doc_bytes_change()
  set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off;
`,
} satisfies SqlMigration
