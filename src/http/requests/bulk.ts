import { z } from 'zod';
import { BULK_MAX, type BulkItem } from '../../commands/bulkOpportunities.js';
import { type DomainError, validation } from '../../shared/errors.js';
import { zodDetails } from '../errors.js';
import { amount, currency, id, integer, isoDate, text, userId } from '../fields.js';

/**
 * POST /opportunities/bulk: `{ items: [...] }`, each item an `op` on the opportunity `id` with
 * an optional `if_match` (the ETag it was read at). Items are parsed one by one: a bad item is
 * an itemised VALIDATION_ERROR (fields named `items.<i>.<field>`) and does not stop the others.
 */
const ifMatch = z
  .union([z.number().int().min(0), z.string().regex(/^\s*(?:W\/)?"?\d{1,19}"?\s*$/, 'must be an ETag, e.g. "3"')])
  .transform((v) => BigInt(String(v).replace(/\D/g, '')));

const target = { id, if_match: ifMatch.optional() };
const stage = z.string().trim().min(1).max(64);

const bulkItem = z
  .discriminatedUnion('op', [
    z.strictObject({ op: z.literal('change_stage'), ...target, stage, probability: integer(0, 100).optional(), next_step: text(500).optional(), reason: text(500).optional() }),
    z
      .strictObject({ op: z.literal('update'), ...target, amount: amount.optional(), currency: currency.optional(), expected_close_date: isoDate.nullable().optional() })
      .refine((b) => b.amount !== undefined || b.currency !== undefined || b.expected_close_date !== undefined, {
        message: 'nothing to update: give amount, currency or expected_close_date',
      }),
    z.strictObject({ op: z.literal('reassign'), ...target, owner_id: userId, reason: text(500).optional() }),
  ])
  .transform((b): BulkItem => {
    const common = { opportunityId: b.id, ...(b.if_match !== undefined ? { expectedRevision: b.if_match } : {}) };
    switch (b.op) {
      case 'change_stage':
        return { op: b.op, ...common, stage: b.stage, probability: b.probability, nextStep: b.next_step, lostReason: b.reason };
      case 'update':
        return { op: b.op, ...common, amount: b.amount, currency: b.currency, expectedCloseDate: b.expected_close_date };
      case 'reassign':
        return { op: b.op, ...common, ownerId: b.owner_id, reason: b.reason };
    }
  });

export const bulkBody = z
  .strictObject({ items: z.array(z.unknown()).min(1).max(BULK_MAX) })
  .transform(({ items }) => ({ items: items.map(parseItem), ids: items.map(itemId) }));

function parseItem(raw: unknown, index: number): BulkItem | DomainError {
  const parsed = bulkItem.safeParse(raw);
  if (parsed.success) return parsed.data;
  const { fields } = zodDetails(parsed.error) as { fields: { field: string; message: string }[] };
  return validation('Invalid item', { fields: fields.map((f) => ({ ...f, field: f.field === '(body)' ? `items.${index}` : `items.${index}.${f.field}` })) });
}

/** The id of an item as given, for its outcome even when it did not parse. */
function itemId(raw: unknown): string | null {
  const v = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).id : undefined;
  return typeof v === 'string' ? v.slice(0, 128) : null;
}
