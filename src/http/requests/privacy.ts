import { z } from 'zod';
import type { ErasureRequest } from '../../commands/erasures.js';
import { id, text } from '../fields.js';

const email = z.string().trim().max(254).pipe(z.email());

/** One of lead_id, customer_id or email names the person; the reason goes on the record. */
export const erasureBody = z
  .strictObject({ lead_id: id.optional(), customer_id: id.optional(), email: email.optional(), reason: text(500).optional() })
  .refine((b) => [b.lead_id, b.customer_id, b.email].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of lead_id, customer_id or email',
    path: ['lead_id'],
  })
  .transform((b): ErasureRequest => {
    const reason = b.reason ?? null;
    if (b.lead_id !== undefined) return { leadId: b.lead_id, reason };
    if (b.customer_id !== undefined) return { customerId: b.customer_id, reason };
    return { email: b.email!, reason };
  });

export const subjectLookupQuery = z.strictObject({ email });
