/**
 * Fields the log holds that no answer shows: an API key's secret hash identifies nothing a reader
 * needs. Applied wherever events or folded state leave the service (histories, audit exports,
 * as-of state), so a new place cannot forget it.
 */
const NEVER_SHOWN = new Set(['secretHash']);

export function redacted(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !NEVER_SHOWN.has(k)));
}
