import type { SqlMigration } from "./Migration.js"

/**
 * The push commit counts its own bytes (`docs.bytes`, migration 0007) in the `update` that
 * allocates the seq, instead of leaving it to the statement trigger on `doc_updates`: the trigger
 * updated the document's row a second time after every insert (once per push in calls of up to
 * 16 pushes), about 0.03 ms of Postgres per push (0.16 against 0.13 ms a single-push call with
 * `synchronous_commit` off). The trigger stays for every other writer (repair, restore, deletes);
 * the push functions tell it to skip their inserts with a transaction-local setting, on only
 * around those inserts. Calls of more than 16 pushes (0009's set-based statement, one insert for
 * all) keep the trigger. Same rules otherwise (S3, S11, S18).
 */
export default {
  id: 14,
  name: "push_counts_bytes",
  sql: `
create or replace function vibestack_doc_bytes_add() returns trigger language plpgsql as $fn$
begin
  if current_setting('vibestack.push_counted_bytes', true) = 'on' then
    return null;
  end if;
  update docs d set bytes = d.bytes + s.n
    from (select workspace_id, doc_id, sum(octet_length(bytes))::bigint as n from added group by 1, 2) s
    where d.workspace_id = s.workspace_id and d.doc_id = s.doc_id;
  return null;
end
$fn$;

create or replace function vibestack_append_updates(
  p_ws text[], p_doc text[], p_bytes bytea[], p_client text[], p_key text[], p_node text
) returns table (ord int, seq bigint, duplicate boolean)
language plpgsql as $fn$
declare
  v_seq bigint;
  v_stored bigint;
  v_n bigint;
begin
  if cardinality(p_ws) <> 1 then
    return query select * from vibestack_append_updates_few(p_ws, p_doc, p_bytes, p_client, p_key, p_node);
    return;
  end if;
  v_n := octet_length(p_bytes[1]);
  update docs d set last_seq = d.last_seq + 1, bytes = d.bytes + v_n
    where d.workspace_id = p_ws[1] and d.doc_id = p_doc[1]
    returning d.last_seq into v_seq;
  if v_seq is null then
    insert into docs (workspace_id, doc_id) values (p_ws[1], p_doc[1]) on conflict do nothing;
    update docs d set last_seq = d.last_seq + 1, bytes = d.bytes + v_n
      where d.workspace_id = p_ws[1] and d.doc_id = p_doc[1]
      returning d.last_seq into v_seq;
  end if;
  if p_key[1] is not null then
    select u.seq into v_stored from doc_updates u
      where u.workspace_id = p_ws[1] and u.doc_id = p_doc[1] and u.idempotency_key = p_key[1];
    if v_stored is not null then
      update docs d set last_seq = d.last_seq - 1, bytes = d.bytes - v_n
        where d.workspace_id = p_ws[1] and d.doc_id = p_doc[1];
      ord := 1; seq := v_stored; duplicate := true;
      return next;
      return;
    end if;
  end if;
  perform set_config('vibestack.push_counted_bytes', 'on', true);
  insert into doc_updates (workspace_id, doc_id, seq, bytes, client_id, idempotency_key)
    values (p_ws[1], p_doc[1], v_seq, p_bytes[1], p_client[1], p_key[1]);
  perform set_config('vibestack.push_counted_bytes', 'off', true);
  perform pg_notify('vibestack_updates', json_build_object(
      'ws', p_ws[1], 'doc', p_doc[1], 'seq', v_seq,
      't', floor(extract(epoch from clock_timestamp()) * 1000), 'n', p_node
    )::text);
  ord := 1; seq := v_seq; duplicate := false;
  return next;
end
$fn$;

create or replace function vibestack_append_updates_few(
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
  perform set_config('vibestack.push_counted_bytes', 'on', true);
  for i in 1 .. n loop
    v_seq := null;
    if p_key[i] is not null then
      select u.seq into v_seq from doc_updates u
        where u.workspace_id = p_ws[i] and u.doc_id = p_doc[i] and u.idempotency_key = p_key[i];
    end if;
    if v_seq is not null then
      ord := i; seq := v_seq; duplicate := true;
    else
      update docs d set last_seq = d.last_seq + 1, bytes = d.bytes + octet_length(p_bytes[i])
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
  perform set_config('vibestack.push_counted_bytes', 'off', true);
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
