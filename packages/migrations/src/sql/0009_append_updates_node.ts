import type { SqlMigration } from "./Migration.js"

/**
 * `vibestack_append_updates` with the committing node's id (`p_node`) in each NOTIFY payload
 * (`n`). That node sends the committed bytes to its own subscribers from memory right after
 * COMMIT, so it skips its own notifications instead of reading the same updates back from the
 * log (the NOTIFY often arrives before the commit's answer does). Otherwise the same statement
 * as migration 0006, whose 5-argument form stays for servers not upgraded yet (their payloads
 * have no `n`: every node treats them as another node's).
 */
export default {
  id: 9,
  name: "append_updates_node",
  sql: `
create function vibestack_append_updates(
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
  prior as (
    select i.ord, u.seq from input i
    join doc_updates u on u.workspace_id = i.w and u.doc_id = i.d and u.idempotency_key = i.k
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
`,
} satisfies SqlMigration
