import type { SqlMigration } from "./Migration.js"

/**
 * `vibestack_append_updates` (the push commit, migration 0009) in plain statements for calls of
 * at most 16 pushes: the rules are the same (rows created and locked in (workspace, doc) order,
 * a key stored before or earlier in the call answers with that push's seq as a duplicate, seqs
 * allocated per document in input order, one NOTIFY per grown document), but 0009's single
 * set-based statement has a fixed cost per call that dominates small calls, and most commits are
 * small below peak load: one push took 0.73-0.83 ms and 0.53-0.63 ms of Postgres CPU as one
 * statement, 0.58 ms and 0.40 ms here; four pushes 1.18-1.31 against 0.69-0.73 ms. Larger calls
 * keep 0009's statement (100 pushes: 3.5 ms against 6 ms looped), renamed
 * `vibestack_append_updates_set`. Same signature, so a server not upgraded yet calls this too.
 */
export default {
  id: 12,
  name: "append_updates_small",
  sql: `
alter function vibestack_append_updates(text[], text[], bytea[], text[], text[], text)
  rename to vibestack_append_updates_set;

create function vibestack_append_updates(
  p_ws text[], p_doc text[], p_bytes bytea[], p_client text[], p_key text[], p_node text
) returns table (ord int, seq bigint, duplicate boolean)
language plpgsql as $fn$
declare
  n int := cardinality(p_ws);
  v_seq bigint;
  -- Documents that grew (their pushes' workspace and doc, one entry per stored push).
  v_ws text[] := '{}';
  v_doc text[] := '{}';
begin
  if n > 16 then
    return query select * from vibestack_append_updates_set(p_ws, p_doc, p_bytes, p_client, p_key, p_node);
    return;
  end if;
  if n = 1 then
    insert into docs (workspace_id, doc_id) values (p_ws[1], p_doc[1]) on conflict do nothing;
    perform 1 from docs d where d.workspace_id = p_ws[1] and d.doc_id = p_doc[1] for update;
  else
    insert into docs (workspace_id, doc_id)
      select distinct k.w, k.d from unnest(p_ws, p_doc) as k(w, d)
      on conflict do nothing;
    perform 1 from docs d
      where (d.workspace_id, d.doc_id) in (select k.w, k.d from unnest(p_ws, p_doc) as k(w, d))
      order by d.workspace_id, d.doc_id
      for update;
  end if;
  for i in 1 .. n loop
    v_seq := null;
    if p_key[i] is not null then
      select u.seq into v_seq from doc_updates u
        where u.workspace_id = p_ws[i] and u.doc_id = p_doc[i] and u.idempotency_key = p_key[i];
    end if;
    if v_seq is not null then
      ord := i; seq := v_seq; duplicate := true;
    else
      update docs d set last_seq = d.last_seq + 1
        where d.workspace_id = p_ws[i] and d.doc_id = p_doc[i]
        returning d.last_seq into v_seq;
      insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id, idempotency_key)
        values (p_ws[i], p_doc[i], v_seq, p_bytes[i], p_client[i], p_key[i]);
      ord := i; seq := v_seq; duplicate := false;
      v_ws := v_ws || p_ws[i];
      v_doc := v_doc || p_doc[i];
    end if;
    return next;
  end loop;
  perform pg_notify('vibestack_updates', json_build_object(
      'ws', d.workspace_id, 'doc', d.doc_id, 'seq', d.last_seq,
      't', floor(extract(epoch from clock_timestamp()) * 1000), 'n', p_node
    )::text)
    from docs d
    where (d.workspace_id, d.doc_id) in (select g.w, g.d from unnest(v_ws, v_doc) as g(w, d));
end
$fn$;
`,
} satisfies SqlMigration
