import { validation } from '../../shared/errors.js';
import type { PersonalDataPatch } from './commands.js';
import type { PersonalData, PostalAddress } from './events.js';

/**
 * The rules for a profile's fields as given (names, codes, firmographics, personal data and its
 * patches): what the decider checks and cleans before it decides.
 */
const NAME_MAX = 200;
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** "mid-market", "Mid Market" and "MID_MARKET" are one code (queries normalise filters the same way). */
export const toCode = (input: string) => input.trim().toUpperCase().replace(/[\s-]+/g, '_');

export function code(field: string, input: string): string {
  const c = toCode(input);
  if (!CODE.test(c)) throw validation(`${field} must be a code of letters, digits and _ (e.g. ENTERPRISE)`, { field, value: input });
  return c;
}

export function oneOf<T extends string>(field: string, input: string, allowed: readonly T[]): T {
  const c = toCode(input);
  const found = allowed.find((a) => a === c);
  if (!found) throw validation(`${field} must be one of ${allowed.join(', ')}`, { field, value: input, allowed });
  return found;
}

export function companyName(input: string): string {
  const name = input.trim();
  if (!name || name.length > NAME_MAX) throw validation(`name must be 1-${NAME_MAX} characters`, { field: 'name' });
  return name;
}

export function industryOf(input: string): string {
  const industry = input.trim();
  if (!industry || industry.length > 100) throw validation('industry must be 1-100 characters', { field: 'industry' });
  return industry;
}

export function employeeCountOf(input: number): number {
  if (!Number.isSafeInteger(input) || input < 0) throw validation('employee_count must be a whole number ≥ 0', { field: 'employee_count' });
  return input;
}

export function requireText(field: string, input: string): string {
  const t = input.trim();
  if (!t) throw validation(`${field} must not be empty`, { field });
  return t;
}

/** Drops empty values so that "no data" has one representation (null), which keeps comparisons honest. */
export function cleanAddress(a: PostalAddress | null | undefined): PostalAddress | undefined {
  if (!a) return undefined;
  const entries = Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '');
  return entries.length ? (Object.fromEntries(entries.map(([k, v]) => [k, v.trim()])) as PostalAddress) : undefined;
}

export function cleanPersonalData(p: PersonalData | null | undefined): PersonalData | null {
  if (!p) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'address') {
      const address = cleanAddress(v as PostalAddress | undefined);
      if (address) out.address = address;
    } else if (typeof v === 'string' && v.trim() !== '') {
      out[k] = v.trim();
    }
  }
  return Object.keys(out).length ? (out as PersonalData) : null;
}

export function applyPatch(current: PersonalData | null, patch: PersonalDataPatch | null): PersonalData | null {
  if (patch === null) return null;
  const next: Record<string, unknown> = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete next[k];
    else if (k === 'address' && typeof v === 'object') next.address = patchFlat({ ...(current?.address ?? {}) }, v);
    else next[k] = v;
  }
  return cleanPersonalData(next as PersonalData);
}

/** A given value replaces, a null removes. */
export function patchFlat(target: Record<string, unknown>, patch: object): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (v !== undefined) target[k] = v;
  }
  return target;
}

