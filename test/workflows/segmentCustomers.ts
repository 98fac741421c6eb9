/**
 * A generated customer set for the segmentation tests, and an independent statement of the
 * segment rules over it (written from the README's definitions, not from src/): what membership
 * GET /customers?segment= must show. Seeded, so a failure can be run again as it was.
 */
export const DAY_MS = 86_400_000;

export interface GenDeal {
  id: string;
  closeDate: string | null;
  open: boolean;
  pushed: boolean;
}

export interface GenCustomer {
  id: string;
  status: 'ACTIVE' | 'INACTIVE' | 'PROSPECT';
  industry: string | null;
  employees: number | null;
  revenue: string | null;
  createdAt: number;
  deals: GenDeal[];
  /** Completion instants (ms) of the completed activities on the customer or its deals. */
  completed: number[];
}

/** Segment definitions as PUT /segments takes them. */
export interface WireSegment {
  code: string;
  name: string;
  criteria: {
    industry?: string[];
    company_size?: { min_employees?: number | null; max_employees?: number | null };
    revenue?: { min?: string | null; max?: string | null };
    lifecycle?: string[];
    behavior?: { no_activity_days?: number | null; min_slipped_deals?: number | null; match?: 'any' | 'all' };
  };
}

export const README_DEFAULTS: WireSegment[] = [
  { code: 'ENTERPRISE', name: 'Enterprise', criteria: { company_size: { min_employees: 1000 } } },
  { code: 'SMB', name: 'SMB', criteria: { company_size: { max_employees: 199 } } },
  { code: 'HIGH_VALUE', name: 'High value', criteria: { revenue: { min: '50000000.00' } } },
  { code: 'AT_RISK', name: 'At risk', criteria: { lifecycle: ['ACTIVE'], behavior: { no_activity_days: 90, min_slipped_deals: 1, match: 'any' } } },
];

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cents = (s: string) => {
  const [whole, frac = ''] = s.split('.');
  return BigInt(whole!) * 100n + BigInt((frac + '00').slice(0, 2));
};

/** The segments each customer belongs to at `now`, by the documented rules. */
export function expectedMembers(customers: readonly GenCustomer[], defs: readonly WireSegment[], now: number): Map<string, string[]> {
  const today = new Date(now).toISOString().slice(0, 10);
  const out = new Map<string, string[]>();
  for (const d of defs) out.set(d.code, []);
  for (const c of customers) {
    const quietSince = c.completed.length ? Math.max(...c.completed) : c.createdAt;
    const quietDays = Math.floor((now - quietSince) / DAY_MS);
    const slipped = c.deals.filter((d) => d.open && (d.pushed || (d.closeDate !== null && d.closeDate < today))).length;
    for (const d of defs) {
      const k = d.criteria;
      const checks: boolean[] = [];
      if (k.industry) checks.push(c.industry !== null && k.industry.some((i) => i.toLowerCase() === c.industry!.toLowerCase()));
      if (k.company_size) {
        const { min_employees: min, max_employees: max } = k.company_size;
        checks.push(c.employees !== null && (min == null || c.employees >= min) && (max == null || c.employees <= max));
      }
      if (k.revenue) {
        const { min, max } = k.revenue;
        checks.push(c.revenue !== null && (min == null || cents(c.revenue) >= cents(min)) && (max == null || cents(c.revenue) <= cents(max)));
      }
      if (k.lifecycle) checks.push(k.lifecycle.includes(c.status));
      if (k.behavior) {
        const b: boolean[] = [];
        if (k.behavior.no_activity_days != null) b.push(quietDays >= k.behavior.no_activity_days);
        if (k.behavior.min_slipped_deals != null) b.push(slipped >= k.behavior.min_slipped_deals);
        checks.push((k.behavior.match ?? 'any') === 'any' ? b.some(Boolean) : b.every(Boolean));
      }
      if (checks.every(Boolean)) out.get(d.code)!.push(c.id);
    }
  }
  for (const ids of out.values()) ids.sort();
  return out;
}
