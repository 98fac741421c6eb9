import { z } from 'zod';
import { USER_ID_PATTERN } from '../access/roles.js';
import { AGGREGATE_ID_PATTERN } from '../eventstore/streams.js';
import { CALENDAR_DATE_RULE, isCalendarDate } from '../shared/dates.js';
import { AMOUNT_RULE, type Amount, CURRENCY_CODES, isCurrency, parseAmount } from '../shared/money.js';
import { PERIOD_RULE, type Period, parsePeriod } from '../shared/period.js';
import { LosslessNumber } from './json.js';

/** zod fields shared by the API's request schemas. Bodies arrive through parseJsonLossless. */

const literal = (v: unknown): unknown => (v instanceof LosslessNumber ? v.toString() : v);

/** Money: a JSON number or a string, kept exact; refused rather than rounded. */
export const amount = z
  .preprocess(
    (v) => (typeof v === 'number' ? String(v) : literal(v)),
    z.string({ error: 'must be a decimal number or string' }),
  )
  .transform((text, ctx): Amount => {
    const parsed = parseAmount(text);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be ${AMOUNT_RULE}` });
      return z.NEVER;
    }
    return parsed;
  })
  .meta({ type: 'string', pattern: '^\\d{1,16}(\\.\\d{1,2})?$', example: '120000.00' });

export const currency = z
  .string()
  .transform((c) => c.trim().toUpperCase())
  .refine(isCurrency, 'must be an ISO 4217 currency code')
  .meta({ type: 'string', enum: [...CURRENCY_CODES], description: 'ISO 4217 (any case)' });

/** An enumerated input in any case: documented by its values, accepted as a client spells them. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, spell: 'upper' | 'lower') =>
  z
    .string()
    .trim()
    .transform((v) => (spell === 'upper' ? v.toUpperCase() : v.toLowerCase()))
    .pipe(z.enum(values))
    .meta({ type: 'string', enum: [...values] });

/** An integer in range; a decimal literal (LosslessNumber) is refused with a clear message. */
export const integer = (min: number, max: number) =>
  z.preprocess((v) => (v instanceof LosslessNumber ? Number(v.toString()) : v), z.number().int().min(min).max(max));

export const isoDate = z.string().refine(isCalendarDate, `must be ${CALENDAR_DATE_RULE}`).meta({ format: 'date' });

export const id = z.string().regex(AGGREGATE_ID_PATTERN, 'must be 1-128 characters: letters, digits, _ . : -');

/** Whom records belong to: a user id as tokens carry it, or an API key's actor (`apikey:<id>`). */
export const userId = z.string().regex(USER_ID_PATTERN, 'must be a user id: 1-128 visible ASCII characters');

/** Free text: no control characters but tab and line breaks (PostgreSQL refuses NUL outright). */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((t) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(t), 'must not hold control characters');

export const metadata = z.record(z.string(), z.unknown()).transform((m) => JSON.parse(JSON.stringify(m, losslessReplacer)) as Record<string, unknown>);

/** Keeps exact numeric text when free-form metadata is stored. */
function losslessReplacer(_key: string, value: unknown): unknown {
  return value instanceof LosslessNumber ? value.toString() : value;
}

/** Read-your-writes: the position a command answered with; the query waits (bounded) until it is read. */
export const minPosition = z
  .string()
  .regex(/^\d{1,20}\/\d{1,20}$/, 'must be a position as returned by a command, e.g. "812/4051"')
  .optional();

export const pagination = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/**
 * ?as_of=<ISO instant> or ?as_of_revision=<n>: a compliance view of the past. Undefined when
 * neither is given.
 */
export const asOfQuery = z
  .object({
    as_of: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant, e.g. 2026-02-02T11:10:00Z' }).optional(),
    as_of_revision: z.coerce.number().int().min(0).optional(),
  })
  .refine((q) => !(q.as_of && q.as_of_revision !== undefined), { message: 'give as_of or as_of_revision, not both', path: ['as_of'] })
  .transform((q) =>
    q.as_of ? { at: new Date(q.as_of) } : q.as_of_revision !== undefined ? { revision: BigInt(q.as_of_revision) } : undefined,
  );

/** A period code in any accepted spelling, parsed to its canonical Period. */
export const periodField = z
  .string({ error: `must be ${PERIOD_RULE}` })
  .transform((text, ctx): Period => {
    const period = parsePeriod(text);
    if (!period) {
      ctx.addIssue({ code: 'custom', message: `must be ${PERIOD_RULE}` });
      return z.NEVER;
    }
    return period;
  })
  .meta({ type: 'string', example: 'Q1_2026', description: PERIOD_RULE });
