import BigNumber from 'bignumber.js';

/**
 * Money never passes through a JS number: amounts are canonical decimal strings ("120000.00")
 * in events and JSON, BigNumber in arithmetic, numeric(18,2) in PostgreSQL, and Avro
 * decimal(18,2) on Kafka. 18 digits with 2 decimals leave 16 integer digits.
 */
export type Amount = string & { readonly __amount: unique symbol };

const AMOUNT_PATTERN = /^(0|[1-9]\d{0,15})(\.\d{1,2})?$/;

/** Parses a non-negative amount with at most 2 decimals and 16 integer digits; undefined if invalid. */
export function parseAmount(text: string): Amount | undefined {
  const trimmed = text.trim();
  // Leading zeros such as "007" are tolerated by normalising through BigNumber below.
  const normalised = /^\d+(\.\d+)?$/.test(trimmed) ? trimmed.replace(/^0+(?=\d)/, '') : trimmed;
  if (!AMOUNT_PATTERN.test(normalised)) return undefined;
  return new BigNumber(normalised).toFixed(2) as Amount;
}

export const AMOUNT_RULE = 'a non-negative decimal with at most 16 integer digits and 2 decimals';

export function toBig(amount: Amount | string): BigNumber {
  return new BigNumber(amount);
}

export function formatAmount(value: BigNumber): Amount {
  // Half up: the one rounding rule of the service (SQL numeric round() does the same).
  return value.toFixed(2, BigNumber.ROUND_HALF_UP) as Amount;
}

/** part / whole as a ratio with 4 decimals, half up (attainment and the like); null when whole is 0. */
export function ratioOf(part: Amount | string, whole: Amount | string): string | null {
  const w = toBig(whole);
  return w.isZero() ? null : toBig(part).div(w).decimalPlaces(4, BigNumber.ROUND_HALF_UP).toFixed(4);
}

export const CURRENCY_CODES: readonly string[] = Intl.supportedValuesOf('currency');
const CURRENCIES: ReadonlySet<string> = new Set(CURRENCY_CODES);

/** ISO 4217 codes as the runtime's ICU data knows them. */
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}
