/**
 * Calendar dates (close dates, validity dates): YYYY-MM-DD of a real day, in years 1900-2999.
 * One rule for the API, the Kafka inbound and the deciders' inputs: PostgreSQL's `date` must
 * accept every date an event can hold, or one event would stop a projection for everyone.
 */
export const CALENDAR_DATE_RULE = 'a date YYYY-MM-DD between 1900-01-01 and 2999-12-31';

export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}
