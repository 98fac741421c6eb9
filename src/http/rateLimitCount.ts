import type pg from 'pg';

/**
 * One request's counts in the shared table, in one statement (issue 14: it was one statement per
 * limiter, the caller's minute waiting for its second). The caller's second takes a point; only
 * if that passes do its minute and, when asked, the global minute take theirs, so a refused burst
 * does not eat the minute's quota. Rows are rate-limiter-flexible's (key, points, expire in epoch
 * ms), so the memory fallback and older instances on the same table agree on what they mean.
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

/** A window's upsert: a new window when the stored one has ended, else points added. */
const upsert = (name: string, key: string, points: string, ms: number, when: string) =>
  `${name} as (insert into rate_limits (key, points, expire) select ${key}, ${points}, $4::bigint + ${ms} where ${when}
    on conflict (key) do update set
      points = case when rate_limits.expire <= $4::bigint then excluded.points else rate_limits.points + excluded.points end,
      expire = case when rate_limits.expire <= $4::bigint then excluded.expire else rate_limits.expire end
    returning points, expire)`;

/** The statement for these limits ($1 burst key, $2 minute key, $3 global points, $4 now, $5 burst limit). */
function countSql(w: Windows): string {
  const burstPassed = w.burstLimit > 0 ? '(select points from b) <= $5::int' : 'true';
  const parts = [
    ...(w.burstLimit > 0 ? [upsert('b', '$1::text', '1', 1000, 'true')] : []),
    ...(w.minuteLimit > 0 ? [upsert('m', '$2::text', '1', 60_000, burstPassed)] : []),
    ...(w.globalLimit > 0 ? [upsert('g', `'${GLOBAL_KEY}'`, '$3::int', 60_000, `$3::int > 0 and ${burstPassed}`)] : []),
  ];
  const column = (cte: string, on: boolean) =>
    on ? `(select points from ${cte}) as ${cte}_points, (select expire::text from ${cte}) as ${cte}_expire` : `null as ${cte}_points, null as ${cte}_expire`;
  const select = `select ${column('b', w.burstLimit > 0)}, ${column('m', w.minuteLimit > 0)}, ${column('g', w.globalLimit > 0)}`;
  // Unused parameters still need a type for the statement to be prepared.
  return `${parts.length ? `with ${parts.join(',\n')}\n` : ''}${select}, $1::text is null and $2::text is null and $3::int is null and $5::int is null as unused`;
}

type CountRow = Record<`${'b' | 'm' | 'g'}_${'points' | 'expire'}`, number | string | null>;

const windowOf = (row: CountRow, cte: 'b' | 'm' | 'g'): WindowCount | undefined =>
  row[`${cte}_points`] === null ? undefined : { points: Number(row[`${cte}_points`]), expire: Number(row[`${cte}_expire`]) };

/** Counts requests for these limits, one named prepared statement per request. */
export function sharedCounter(pool: pg.Pool, windows: Windows): (request: CountRequest) => Promise<SharedCounts> {
  const text = countSql(windows);
  const name = `rate-count-${windows.burstLimit > 0 ? 'b' : ''}${windows.minuteLimit > 0 ? 'm' : ''}${windows.globalLimit > 0 ? 'g' : ''}`;
  return async ({ burstKey, minuteKey, globalPoints }) => {
    const values = [burstKey, minuteKey, globalPoints, Date.now(), windows.burstLimit];
    const { rows } = await pool.query<CountRow>({ name, text, values });
    const row = rows[0]!;
    const [burst, minute, global] = [windowOf(row, 'b'), windowOf(row, 'm'), windowOf(row, 'g')];
    return { ...(burst ? { burst } : {}), ...(minute ? { minute } : {}), ...(global ? { global } : {}) };
  };
}
