import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { CALENDAR_DATE_RULE, isCalendarDate } from '../shared/dates.js';
import { AMOUNT_RULE, parseAmount } from '../shared/money.js';

/**
 * The custom scalars. Each accepts what a client may reasonably send and refuses the rest with
 * the rule it broke; the use cases still validate (one rule, in one place, for both front doors).
 */
const refuse = (message: string) => new GraphQLError(message, { extensions: { code: 'VALIDATION_ERROR' } });

/** Money as text: a string as is (POST bodies give every non-integer number as its exact text), a number while exact. */
function moneyText(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  // A float here was parsed by JSON.parse (a GET's variables); its text is exact only this short.
  if (typeof value === 'number' && Number.isFinite(value)) {
    const text = String(value);
    if (text.replace(/[^\d]/g, '').replace(/^0+/, '').length > 15 || /e/i.test(text)) {
      throw refuse('Money with more than 15 significant digits must be sent as a string, e.g. "1234567890123456.78"');
    }
    return text;
  }
  if (typeof value === 'string') return value;
  throw refuse(`Money must be ${AMOUNT_RULE}, as a string`);
}

const literal = (ast: ValueNode): unknown =>
  ast.kind === Kind.STRING ? ast.value : ast.kind === Kind.INT || ast.kind === Kind.FLOAT ? ast.value : undefined;

export const Money = new GraphQLScalarType({
  name: 'Money',
  serialize: (v) => String(v),
  parseValue: (v) => {
    const text = moneyText(v);
    if (parseAmount(text) === undefined) throw refuse(`Money must be ${AMOUNT_RULE}`);
    return text;
  },
  // A literal keeps its exact text, even 0.10 or 12345678901234567.89.
  parseLiteral: (ast) => {
    const text = literal(ast);
    if (typeof text !== 'string' || parseAmount(text) === undefined) throw refuse(`Money must be ${AMOUNT_RULE}`);
    return text;
  },
});

const calendarDate = (v: unknown) => {
  if (typeof v !== 'string' || !isCalendarDate(v)) throw refuse(`Date must be ${CALENDAR_DATE_RULE}`);
  return v;
};

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  serialize: (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v)),
  parseValue: calendarDate,
  parseLiteral: (ast) => calendarDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

const instant = (v: unknown) => {
  const d = typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(v as string)) throw refuse('DateTime must be an ISO-8601 instant');
  return d;
};

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (v) => new Date(v as string | Date).toISOString(),
  parseValue: instant,
  parseLiteral: (ast) => instant(ast.kind === Kind.STRING ? ast.value : undefined),
});

const stageCode = (v: unknown) => {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > 64) throw refuse('OpportunityStage must be a stage code of 1-64 characters');
  return v.trim();
};

export const OpportunityStage = new GraphQLScalarType({
  name: 'OpportunityStage',
  serialize: (v) => String(v),
  parseValue: stageCode,
  parseLiteral: (ast) => stageCode(ast.kind === Kind.STRING || ast.kind === Kind.ENUM ? ast.value : undefined),
});
