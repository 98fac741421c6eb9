import type pg from 'pg';

/**
 * Statements per command, from pg_stat_statements (the server must load it: `--statements`):
 * what "query counts per command" means, counted by PostgreSQL itself, for this database's
 * top-level statements only (a function's inner statements are its caller's cost).
 */
export async function resetStatements(admin: pg.Client): Promise<void> {
  await admin.query('create extension if not exists pg_stat_statements');
  await admin.query('select pg_stat_statements_reset()');
}

export async function printStatements(admin: pg.Client, label: string, commands: number, top = 12): Promise<void> {
  // One line per statement, except that a VALUES list's length does not make another one; a long
  // text shows its start and its end (a read of one stream and of several differ past the columns).
  const { rows } = await admin.query<{ calls: string; ms: number; plan: number; query: string }>(
    `select sum(calls)::text as calls, sum(total_exec_time) as ms, sum(total_plan_time) as plan, (case when length(min(text)) > 160 then left(min(text), 100) || ' … ' || right(min(text), 57) else min(text) end) as query
       from (select *, regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'), ' values \\(.*$', ' values (…)', 'i') as text from pg_stat_statements) s
      where dbid = (select oid from pg_database where datname = current_database()) and toplevel and query not like '%pg_stat_statements%'
      group by text order by 2 desc`,
  );
  const calls = rows.reduce((n, r) => n + Number(r.calls), 0);
  const ms = rows.reduce((n, r) => n + r.ms, 0);
  const plan = rows.reduce((n, r) => n + r.plan, 0);
  console.log(
    `W2 ${label}: ${(calls / commands).toFixed(2)} statements per command (pg_stat_statements, background work included), ` +
      `${((ms * 1000) / commands).toFixed(0)} µs of execution and ${((plan * 1000) / commands).toFixed(0)} µs of planning each command`,
  );
  // The top by time, then anything else frequent (0.2 a command or more): counts matter as much as time.
  const shown = [...rows.slice(0, top), ...rows.slice(top).filter((r) => Number(r.calls) / commands >= 0.2)];
  for (const r of shown) {
    const n = Number(r.calls);
    console.log(
      `  ${(n / commands).toFixed(2)}/command, ${((r.ms * 1000) / n).toFixed(0)} µs each (+${((r.plan * 1000) / n).toFixed(0)} µs planning), ${((100 * r.ms) / ms).toFixed(0)}% of time: ${r.query}`,
    );
  }
}
