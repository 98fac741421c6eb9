import { z } from 'zod';
import {
  CONSENT_STATUSES,
  CUSTOMER_STATUSES,
  type PersonalData,
  type PersonalDataPatch,
  type PostalAddress,
} from '../../aggregates/customerProfile/index.js';
import { TIMELINE_KINDS, type TimelineKind } from '../../projections/customerTimelineQueries.js';
import { amount, id, integer, minPosition, oneOf, pagination, text } from '../fields.js';

/** Customer 360 bodies and queries, transformed into the use cases' inputs. */
const anyCase = <const T extends readonly [string, ...string[]]>(values: T) => oneOf(values, 'upper');

/** Open code lists (segment, consent type): any UPPER_SNAKE code; the decider normalises and checks. */
export const code = z.string().trim().min(1).max(64);

const address = z.strictObject({
  line1: text(200).optional(),
  line2: text(200).optional(),
  city: text(100).optional(),
  postal_code: text(20).optional(),
  region: text(100).optional(),
  country: text(100).optional(),
});

/** The contact person: the only personal data of a profile (DESIGN §9). */
const personalData = z.strictObject({
  first_name: text(100).optional(),
  last_name: text(100).optional(),
  email: z.email().max(254).optional(),
  phone: text(50).optional(),
  title: text(100).optional(),
  address: address.optional(),
});

const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** PATCH semantics: a given field replaces, null removes it, null as a whole erases the person. */
const personalDataPatch = z.strictObject({
  first_name: nullable(text(100)),
  last_name: nullable(text(100)),
  email: nullable(z.email().max(254)),
  phone: nullable(text(50)),
  title: nullable(text(100)),
  address: nullable(
    z.strictObject({
      line1: nullable(text(200)),
      line2: nullable(text(200)),
      city: nullable(text(100)),
      postal_code: nullable(text(20)),
      region: nullable(text(100)),
      country: nullable(text(100)),
    }),
  ),
});

/** snake_case input (API) to the camelCase sub-object of the events. */
const ADDRESS_KEYS = { line1: 'line1', line2: 'line2', city: 'city', postal_code: 'postalCode', region: 'region', country: 'country' } as const;
const PERSON_KEYS = { first_name: 'firstName', last_name: 'lastName', email: 'email', phone: 'phone', title: 'title' } as const;

function renameKeys(input: object, keys: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined && keys[k]) out[keys[k]] = v;
  return out;
}

function toPersonalData(p: z.output<typeof personalData>): PersonalData {
  const { address: a, ...person } = p;
  return { ...renameKeys(person, PERSON_KEYS), ...(a ? { address: renameKeys(a, ADDRESS_KEYS) as PostalAddress } : {}) };
}

function toPersonalDataPatch(p: z.output<typeof personalDataPatch> | null): PersonalDataPatch | null {
  if (p === null) return null;
  const { address: a, ...person } = p;
  return { ...renameKeys(person, PERSON_KEYS), ...(a === undefined ? {} : { address: a === null ? null : renameKeys(a, ADDRESS_KEYS) }) } as PersonalDataPatch;
}

export const createCustomerBody = z
  .strictObject({
    id: id.optional(),
    customer_id: id.optional(),
    name: text(200),
    status: anyCase(CUSTOMER_STATUSES).optional(),
    primary_contact_id: id.optional(),
    segment: code.optional(),
    personal_data: personalData.optional(),
    industry: text(100).optional(),
    employee_count: integer(0, 10_000_000).optional(),
    annual_revenue: amount.optional(),
  })
  .refine((b) => !(b.id && b.customer_id && b.id !== b.customer_id), { message: 'id and customer_id differ', path: ['id'] })
  .transform((b) => ({
    customerId: b.id ?? b.customer_id ?? crypto.randomUUID(),
    name: b.name,
    status: b.status,
    primaryContactId: b.primary_contact_id,
    segment: b.segment,
    ...(b.personal_data ? { personalData: toPersonalData(b.personal_data) } : {}),
    industry: b.industry,
    employeeCount: b.employee_count,
    annualRevenue: b.annual_revenue,
  }));

export const updateCustomerBody = z
  .strictObject({
    name: text(200).optional(),
    status: anyCase(CUSTOMER_STATUSES).optional(),
    primary_contact_id: id.nullable().optional(),
    segment: code.optional(),
    personal_data: personalDataPatch.nullable().optional(),
    industry: text(100).nullable().optional(),
    employee_count: integer(0, 10_000_000).nullable().optional(),
    annual_revenue: amount.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'nothing to update: give name, status, primary_contact_id, segment, personal_data, industry, employee_count or annual_revenue',
  })
  .transform((b) => ({
    name: b.name,
    status: b.status,
    primaryContactId: b.primary_contact_id,
    segment: b.segment,
    ...(b.personal_data !== undefined ? { personalData: toPersonalDataPatch(b.personal_data) } : {}),
    industry: b.industry,
    employeeCount: b.employee_count,
    annualRevenue: b.annual_revenue,
  }));

export const mergeBody = z
  .strictObject({ source_customer_id: id, reason: text(200).default('DUPLICATE') })
  .transform((b) => ({ sourceCustomerId: b.source_customer_id, reason: b.reason }));

export const consentBody = z.strictObject({ status: anyCase(CONSENT_STATUSES), source: code.optional() });

export const listCustomersQuery = pagination.extend({
  status: anyCase(CUSTOMER_STATUSES).optional(),
  /** Members of an evaluated segment (GET /segments defines them). */
  segment: code.optional(),
  /** The single label a user or Customer 360 assigned (the profile's `segment`). */
  assigned_segment: code.optional(),
  name: text(200).optional(),
  include_merged: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  min_position: minPosition,
});

/** ?kind=stage_change,service_order: one or more timeline kinds, comma-separated; all when absent. */
export const timelineQuery = pagination.extend({
  kind: z
    .string()
    .trim()
    .transform((v, ctx) => {
      const kinds = v.split(',').map((k) => k.trim().toLowerCase()).filter((k) => k !== '');
      const unknown = kinds.filter((k) => !(TIMELINE_KINDS as readonly string[]).includes(k));
      if (kinds.length === 0 || unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must be one or more of ${TIMELINE_KINDS.join(', ')}, comma-separated${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}` });
        return z.NEVER;
      }
      return new Set(kinds as TimelineKind[]);
    })
    .optional()
    .meta({ type: 'string', description: `one or more of ${TIMELINE_KINDS.join(', ')}, comma-separated` }),
  min_position: minPosition,
});

export const consentHistoryQuery = z.object({ consent_type: code.optional() });
