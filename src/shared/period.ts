import { validation } from './errors.js';

/**
 * Reporting periods, as seed 004 names them: a quarter `Q1_2026`, a month `2026-03` or a year
 * `2026`. Pure: parsing gives the canonical code and the calendar dates it covers.
 *
 * Input is accepted in any case, with `_` or `-` in a quarter, and as `2026-Q1` (ISO-like);
 * the canonical spelling is always seed 004's (`Q1_2026`, `2026-03`, `2026`). Calendar
 * quarters: Q1 is January to March. Years 1900..2999: anything else is a typo, not a plan.
 */
export type PeriodKind = 'quarter' | 'month' | 'year';

export interface Period {
  /** Canonical code: Q1_2026, 2026-03 or 2026. */
  readonly code: string;
  readonly kind: PeriodKind;
  /** First day, YYYY-MM-DD, inclusive. */
  readonly start: string;
  /** Last day, YYYY-MM-DD, inclusive. */
  readonly last: string;
  /** Day after the last, YYYY-MM-DD: the exclusive bound that range queries use. */
  readonly end: string;
}

export const PERIOD_RULE = 'a quarter Q1_2026, a month 2026-03 or a year 2026 (years 1900-2999)';

const MIN_YEAR = 1900;
const MAX_YEAR = 2999;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const ymd = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
/** Days in month m (1..12) of year y, by the proleptic Gregorian calendar. */
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The months [first, last] (1..12) of a period of `kind` starting at month `first` of year y. */
function build(code: string, kind: PeriodKind, y: number, first: number, months: number): Period {
  const lastMonth = first + months - 1;
  const next = lastMonth === 12 ? ymd(y + 1, 1, 1) : ymd(y, lastMonth + 1, 1);
  return { code, kind, start: ymd(y, first, 1), last: ymd(y, lastMonth, daysIn(y, lastMonth)), end: next };
}

/** The period an input names, or undefined when it names none. */
export function parsePeriod(input: string): Period | undefined {
  const text = input.trim().toUpperCase();
  let m: RegExpExecArray | null;
  let quarter: number | undefined;
  let year: number | undefined;
  if ((m = /^Q([1-4])[_-](\d{4})$/.exec(text))) {
    quarter = Number(m[1]);
    year = Number(m[2]);
  } else if ((m = /^(\d{4})-Q([1-4])$/.exec(text))) {
    year = Number(m[1]);
    quarter = Number(m[2]);
  }
  if (quarter !== undefined && year !== undefined) {
    if (year < MIN_YEAR || year > MAX_YEAR) return undefined;
    return build(`Q${quarter}_${year}`, 'quarter', year, (quarter - 1) * 3 + 1, 3);
  }
  if ((m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text))) {
    const y = Number(m[1]);
    if (y < MIN_YEAR || y > MAX_YEAR) return undefined;
    return build(`${m[1]}-${m[2]}`, 'month', y, Number(m[2]), 1);
  }
  if ((m = /^(\d{4})$/.exec(text))) {
    const y = Number(m[1]);
    if (y < MIN_YEAR || y > MAX_YEAR) return undefined;
    return build(m[1]!, 'year', y, 1, 12);
  }
  return undefined;
}

/** parsePeriod, or a VALIDATION_ERROR naming `field`. */
export function requirePeriod(input: string, field = 'period'): Period {
  const period = parsePeriod(input);
  if (!period) throw validation(`${field} must be ${PERIOD_RULE}`, { field, period: input });
  return period;
}

/** Whether a YYYY-MM-DD date falls in the period. */
export function periodContains(period: Period, date: string): boolean {
  return date >= period.start && date < period.end;
}

/** The month, the quarter and the year a YYYY-MM-DD date falls in (where a quota for it may be). */
export function periodsContaining(date: string): Period[] {
  const year = date.slice(0, 4);
  const month = date.slice(5, 7);
  const quarter = Math.ceil(Number(month) / 3);
  return [`${year}-${month}`, `Q${quarter}_${year}`, year].map((code) => requirePeriod(code));
}
