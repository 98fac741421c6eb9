import { z } from 'zod';
import type { ErasureRequest } from '../../commands/erasures.js';
import { id, text } from '../fields.js';

const email = z.string().trim().max(254).pipe(z.email());

const contact = z.strictObject({ opportunity_id: id, name: z.string().trim().min(1).max(200) });

/** One of lead_id, customer_id, contact (a deal's, by name) or email names the person; the reason goes on the record. */
export const erasureBody = z
  .strictObject({ lead_id: id.optional(), customer_id: id.optional(), contact: contact.optional(), email: email.optional(), reason: text(500).optional() })
  .refine((b) => [b.lead_id, b.customer_id, b.contact, b.email].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of lead_id, customer_id, contact or email',
    path: ['lead_id'],
  })
  .transform((b): ErasureRequest => {
    const reason = b.reason ?? null;
    if (b.lead_id !== undefined) return { leadId: b.lead_id, reason };
    if (b.customer_id !== undefined) return { customerId: b.customer_id, reason };
    if (b.contact !== undefined) return { contact: { opportunityId: b.contact.opportunity_id, name: b.contact.name }, reason };
    return { email: b.email!, reason };
  });

export const subjectLookupQuery = z.strictObject({ email });
