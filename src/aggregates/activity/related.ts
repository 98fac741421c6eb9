import { isCalendarDate } from '../../shared/dates.js';
import { validation } from '../../shared/errors.js';

/**
 * What an activity or a task is about (seed 003's RelatedEntity): exactly one lead, opportunity
 * or customer, named by its type and id. Shared by the Activity and Task aggregates.
 */
export const RELATED_TYPES = ['lead', 'opportunity', 'customer'] as const;
export type RelatedType = (typeof RELATED_TYPES)[number];

export interface RelatedEntity {
  readonly type: RelatedType;
  readonly id: string;
}

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Instants the read models store (timestamptz): ISO-8601, years 1900-2999 like calendar dates. */
export const INSTANT_RULE = 'an ISO-8601 instant (e.g. 2026-03-01T09:00:00Z) or a date YYYY-MM-DD, between 1900 and 2999';

/** The canonical ISO form of an instant, or undefined when it is not one the service keeps. */
export function canonicalInstant(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  const d = new Date(ms);
  if (d.getUTCFullYear() < 1900 || d.getUTCFullYear() > 2999) return undefined;
  // A day that does not exist (2026-02-30) would roll over: refuse it.
  if (!isCalendarDate(text.slice(0, 10))) return undefined;
  return d.toISOString();
}

/** A decider's check of an instant it is given (the front doors validate first; this is the rule). */
export function requireInstant(field: string, text: string): string {
  const canonical = canonicalInstant(text);
  if (!canonical) throw validation(`${field} must be ${INSTANT_RULE}`, { field });
  return canonical;
}

export function requireRelated(related: RelatedEntity): RelatedEntity {
  if (!RELATED_TYPES.includes(related.type)) throw validation(`related_to.type must be one of ${RELATED_TYPES.join(', ')}`, { field: 'related_to.type' });
  if (!related.id) throw validation('related_to.id is required', { field: 'related_to.id' });
  return { type: related.type, id: related.id };
}
