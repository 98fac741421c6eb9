/**
 * W2's floor (floor.ts): the least a command service of this kind does per request, on the same
 * stack as the service (Express, its JSON body parser, node-postgres on the same PostgreSQL): a
 * per-caller count as the rate limits keep one (an upsert, commit not waited for), then an event
 * inserted and committed as an append is, then a JSON answer. No access policy, no aggregate, no
 * projections: what the machine gives any such service at W2's rate.
 */
import express from 'express';
import pg from 'pg';

const url = process.env.DATABASE_URL!;
const events = new pg.Pool({ connectionString: url, max: 20 });
const counts = new pg.Pool({ connectionString: url, max: 4, options: '-c synchronous_commit=off' });
// An idle connection the server drops (the bench dropping its database) is no reason to crash.
for (const pool of [events, counts]) pool.on('error', () => undefined);
await events.query(
  'create table if not exists floor_events (seq bigserial primary key, stream_id text not null, data jsonb not null, created timestamptz not null default now());' +
    'create table if not exists floor_counts (key text primary key, n bigint not null)',
);

const app = express();
app.use(express.json());
// What the bench's startService waits for.
app.get('/health/ready', (_req, res) => res.json({ status: 'ready' }));
app.put('/streams/:id', async (req, res) => {
  try {
    const counted = await counts.query<{ n: string }>({
      name: 'count',
      text: 'insert into floor_counts (key, n) values ($1, 1) on conflict (key) do update set n = floor_counts.n + 1 returning n',
      values: [req.get('x-caller') ?? 'anonymous'],
    });
    const appended = await events.query<{ seq: string }>({
      name: 'append',
      text: 'insert into floor_events (stream_id, data) values ($1, $2) returning seq::text',
      values: [req.params.id, JSON.stringify(req.body)],
    });
    res.json({ id: req.params.id, position: appended.rows[0]!.seq, count: counted.rows[0]!.n });
  } catch (err) {
    res.status(503).json({ error: String(err) });
  }
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => void Promise.all([events.end(), counts.end()]).finally(() => process.exit(0))));
