import type pg from 'pg';
import { type Settled, createCallGroups } from '../db/callGroups.js';

/**
 * Requests' counts in the shared table. Requests that arrive while a count is in flight are
 * counted together in the next one (db/callGroups.ts; issue 14: it was a statement per request,
 * the most frequent statement of the command path). Each request gets what it would have got
 * counted alone, in arrival order: its caller's second takes a point; only if that passes do its
 * minute and, when asked, the global minute take theirs, so a refused burst does not eat the
 * minute's quota. Rows are rate-limiter-flexible's (key, points, expire in epoch ms), so the
 * memory fallback and older instances on the same table agree on what they mean.
 */
export interface SharedCounts {
  /** Points counted in the window so far and when it ends (epoch ms); undefined when not counted. */
  readonly burst?: WindowCount;
  readonly minute?: WindowCount;
  readonly global?: WindowCount;
}

export interface WindowCount {
  readonly points: number;
  readonly expire: number;
}

export interface CountRequest {
  readonly burstKey: string;
  readonly minuteKey: string;
  /** Points the global minute takes now; 0: none (a chunk taken earlier covers this request). */
  readonly globalPoints: number;
}

export interface Windows {
  /** 0: the limit is off and its window is not counted. */
  readonly burstLimit: number;
  readonly minuteLimit: number;
  readonly globalLimit: number;
}

export const GLOBAL_KEY = 'rl_g:all';

/** Windows' upserts: a new window when the stored one has ended, else points added. Keys in one order (no deadlock between counts). */
const upsert = (name: string, select: string, ms: number) =>
  `${name} as (insert into rate_limits (key, points, expire) select key, points, $4::bigint + ${ms} from (${select}) s order by key
    on conflict (key) do update set
      points = case when rate_limits.expire <= $4::bigint then excluded.points else rate_limits.points + excluded.points end,
      expire = case when rate_limits.expire <= $4::bigint then excluded.expire else rate_limits.expire end
    returning key, points, expire)`;

/**
 * The statement for these limits: $1 burst keys, $2 minute keys, $3 global points (one each per
 * request, in arrival order), $4 now, $5 the burst limit. One row per caller: its requests (n),
 * how many passed its burst, and each window's points after them.
 */
function countSql(w: Windows): string {
  const passed = w.burstLimit > 0 ? 'least(per.n, greatest(0, $5::int - (b.points - per.n)))' : 'per.n';
  const parts = [
    `req as (select r.bkey, r.mkey, r.gp, row_number() over (partition by r.bkey order by r.i) as ord
      from unnest($1::text[], $2::text[], $3::int[]) with ordinality as r(bkey, mkey, gp, i))`,
    'per as (select bkey, min(mkey) as mkey, count(*)::int as n from req group by bkey)',
    ...(w.burstLimit > 0 ? [upsert('b', 'select bkey as key, n as points from per', 1000)] : []),
    `p as (select per.bkey, per.mkey, per.n, ${passed} as passed, ${w.burstLimit > 0 ? 'b.points as b_points, b.expire as b_expire' : 'null::int as b_points, null::bigint as b_expire'}
      from per ${w.burstLimit > 0 ? 'join b on b.key = per.bkey' : ''})`,
    ...(w.minuteLimit > 0 ? [upsert('m', 'select mkey as key, passed as points from p where passed > 0', 60_000)] : []),
    // The global row last: its source waits for every minute row (m counted first), so every count locks burst, minute, global rows in that order.
    ...(w.globalLimit > 0
      ? [
          upsert(
            'g',
            `select '${GLOBAL_KEY}'::text as key, sum(req.gp)::int as points from req join p on p.bkey = req.bkey and req.ord <= p.passed` +
              `${w.minuteLimit > 0 ? ' cross join (select count(*) from m) as minutes_done' : ''} having sum(req.gp) > 0`,
            60_000,
          ),
        ]
      : []),
  ];
  const window = (cte: string, on: boolean) =>
    on ? `(select points from ${cte}) as g_points, (select expire::text from ${cte}) as g_expire` : 'null::int as g_points, null::text as g_expire';
  return `with ${parts.join(',\n')}
    select p.bkey, p.n, p.passed, p.b_points, p.b_expire::text, ${w.minuteLimit > 0 ? 'm.points as m_points, m.expire::text as m_expire' : 'null::int as m_points, null::text as m_expire'},
      ${window('g', w.globalLimit > 0)}, $5::int is null as unused
    from p ${w.minuteLimit > 0 ? 'left join m on m.key = p.mkey' : ''}`;
}

export interface CountRow {
  readonly bkey: string;
  readonly n: number;
  readonly passed: number;
  readonly b_points: number | null;
  readonly b_expire: string | null;
  readonly m_points: number | null;
  readonly m_expire: string | null;
  readonly g_points: number | null;
  readonly g_expire: string | null;
}

/**
 * Each request's counts from its caller's row, as if counted one after another in arrival order:
 * the k-th request of a caller saw the points before the call plus k.
 */
export function countsOf(requests: readonly CountRequest[], rows: readonly CountRow[]): SharedCounts[] {
  const byCaller = new Map(rows.map((r) => [r.bkey, r]));
  const seen = new Map<string, number>();
  const passes = requests.map((q) => {
    const ord = (seen.get(q.burstKey) ?? 0) + 1;
    seen.set(q.burstKey, ord);
    return { ord, row: byCaller.get(q.burstKey)!, passed: ord <= byCaller.get(q.burstKey)!.passed };
  });
  const globalTaken = requests.reduce((sum, q, i) => sum + (passes[i]!.passed ? q.globalPoints : 0), 0);
  let global = (rows.find((r) => r.g_points !== null)?.g_points ?? 0) - globalTaken;
  return requests.map((q, i) => {
    const { ord, row, passed } = passes[i]!;
    const burst = row.b_points === null ? undefined : { points: row.b_points - row.n + ord, expire: Number(row.b_expire) };
    if (!passed) return { ...(burst ? { burst } : {}) };
    const minute = row.m_points === null ? undefined : { points: row.m_points - row.passed + ord, expire: Number(row.m_expire) };
    global += q.globalPoints;
    const taken = q.globalPoints > 0 && row.g_points !== null ? { points: global, expire: Number(row.g_expire) } : undefined;
    return { ...(burst ? { burst } : {}), ...(minute ? { minute } : {}), ...(taken ? { global: taken } : {}) };
  });
}

/** A deadlock between two instances' counts of the same callers: counted again, not an outage. */
const DEADLOCK = '40P01';

/** Counts requests for these limits: one named prepared statement per call, one call at a time (the most requests per call). */
export function sharedCounter(pool: pg.Pool, windows: Windows): (request: CountRequest) => Promise<SharedCounts> {
  const text = countSql(windows);
  const name = `rate-counts-${windows.burstLimit > 0 ? 'b' : ''}${windows.minuteLimit > 0 ? 'm' : ''}${windows.globalLimit > 0 ? 'g' : ''}`;
  async function run(requests: readonly CountRequest[]): Promise<Settled<SharedCounts>[]> {
    const values = [requests.map((q) => q.burstKey), requests.map((q) => q.minuteKey), requests.map((q) => q.globalPoints), Date.now(), windows.burstLimit];
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await pool.query<CountRow>({ name, text, values });
        return countsOf(requests, rows).map((value) => ({ ok: true, value }));
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK || attempt >= 2) return requests.map(() => ({ ok: false, error }));
      }
    }
  }
  const groups = createCallGroups<CountRequest, SharedCounts>({ maxInFlight: 1, maxGroup: 256, run });
  return (request) => groups.submit(request.burstKey, request);
}
