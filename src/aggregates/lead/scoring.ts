import BigNumber from 'bignumber.js';
import type { Amount } from '../../shared/money.js';

/**
 * Lead scoring: seed 003's rubric (companySize 0–25, industry 0–15, budget 0–20, timeline 0–15,
 * decisionMaker 0–25; total 0–100; qualified at ≥ 70), mapped onto seed 004's lead fields by
 * fixed tables so that the same lead always gets the same score. A pure function: no clock, no
 * I/O. Changing any table below changes scores, so it must bump RUBRIC_VERSION (the version is
 * recorded in every LeadScoredEvent).
 *
 * | factor        | input                                  | points                                                                                                        |
 * |---------------|----------------------------------------|---------------------------------------------------------------------------------------------------------------|
 * | companySize   | employee_count                         | absent 0 · 1–9: 5 · 10–49: 10 · 50–199: 15 · 200–999: 20 · ≥ 1000: 25                                          |
 * | industry      | industry (case-insensitive, aliases)   | absent 0 · Technology 15 · Finance 13 · Healthcare 12 · Manufacturing 10 · Retail 8 · Professional services 8 · Education 6 · Government 6 · any other 5 |
 * | budget        | annual_revenue (bignumber, never float)| absent 0 · < 1 000 000: 5 · < 10 000 000: 10 · < 100 000 000: 15 · ≥ 100 000 000: 20                          |
 * | timeline      | purchase window in months (see below)  | ≤ 1: 15 · ≤ 3: 12 · ≤ 6: 8 · ≤ 12: 4 · > 12 or "none": 0 · unknown/absent: 5 (default)                         |
 * | decisionMaker | title keywords (highest tier wins)     | absent 0 · C-level (chief, CEO/CFO/CTO/COO/CIO/CMO/CISO/CRO/CPO/CDO, founder, owner, president) 25 · VP (VP, SVP, EVP, AVP, vice president) 20 · Director (director, head of) 15 · Manager (manager, mgr, supervisor, team lead) 10 · any other title 5 |
 *
 * The timeline comes from the qualify command's `timeline`, else the lead's
 * metadata.timeline, metadata.expected_purchase_window or metadata.purchase_window_months: a
 * number of months (number or numeric string) or a label: immediate/asap/now/this_month (1),
 * this_quarter (3), next_quarter/this_half (6), this_year (12), next_year (24), none/no_timeline
 * (no purchase planned), or "N months"/"N-M months"/"within N months" (the upper bound counts).
 *
 * Seed 004's example lead (Technology, 500 employees, annual_revenue 50000000, title
 * "VP Engineering", no timeline) scores 20 + 15 + 15 + 5 + 20 = 75: qualified.
 */
export const RUBRIC_VERSION = 1;
export const QUALIFICATION_THRESHOLD = 70;

export interface ScoreBreakdown {
  readonly companySize: number;
  readonly industry: number;
  readonly budget: number;
  readonly timeline: number;
  readonly decisionMaker: number;
}

/** Why each factor got its points, in words a sales rep can check. */
export type ScoreBasis = { readonly [K in keyof ScoreBreakdown]: string };

export interface LeadScore {
  readonly score: number;
  readonly breakdown: ScoreBreakdown;
  readonly basis: ScoreBasis;
  readonly rubricVersion: number;
}

/** A purchase window: months, 'none' (nothing planned), or a raw input the tables do not know. */
export type Timeline = number | 'none';

export interface ScoringInput {
  readonly employeeCount?: number | null;
  readonly industry?: string | null;
  readonly annualRevenue?: Amount | null;
  readonly title?: string | null;
  /** Already parsed with parseTimeline; undefined when unknown. */
  readonly timeline?: Timeline | null;
}

function companySize(count: number | null | undefined): [number, string] {
  if (count === null || count === undefined) return [0, 'employee count unknown'];
  if (count >= 1000) return [25, '1000+ employees'];
  if (count >= 200) return [20, '200-999 employees'];
  if (count >= 50) return [15, '50-199 employees'];
  if (count >= 10) return [10, '10-49 employees'];
  return [5, '1-9 employees'];
}

const INDUSTRIES: readonly { name: string; points: number; aliases: readonly string[] }[] = [
  { name: 'Technology', points: 15, aliases: ['technology', 'tech', 'software', 'saas', 'it', 'information technology', 'internet', 'computer software'] },
  { name: 'Finance', points: 13, aliases: ['finance', 'financial services', 'banking', 'fintech', 'insurance', 'investment', 'investment management'] },
  { name: 'Healthcare', points: 12, aliases: ['healthcare', 'health care', 'life sciences', 'pharmaceuticals', 'pharma', 'biotech', 'biotechnology', 'medical'] },
  { name: 'Manufacturing', points: 10, aliases: ['manufacturing', 'industrial', 'industrials', 'automotive'] },
  { name: 'Retail', points: 8, aliases: ['retail', 'e-commerce', 'ecommerce', 'consumer goods'] },
  { name: 'Professional services', points: 8, aliases: ['professional services', 'consulting'] },
  { name: 'Education', points: 6, aliases: ['education', 'higher education', 'edtech'] },
  { name: 'Government', points: 6, aliases: ['government', 'public sector'] },
];
const OTHER_INDUSTRY_POINTS = 5;

const normaliseWords = (s: string) => s.trim().toLowerCase().replace(/[\s_]+/g, ' ');

function industry(value: string | null | undefined): [number, string] {
  if (!value?.trim()) return [0, 'industry unknown'];
  const key = normaliseWords(value);
  const hit = INDUSTRIES.find((i) => i.aliases.includes(key));
  return hit ? [hit.points, hit.name] : [OTHER_INDUSTRY_POINTS, `other industry (${value.trim()})`];
}

const MILLION = new BigNumber(1_000_000);

function budget(revenue: Amount | null | undefined): [number, string] {
  if (revenue === null || revenue === undefined) return [0, 'annual revenue unknown'];
  const r = new BigNumber(revenue);
  if (r.gte(MILLION.times(100))) return [20, 'annual revenue >= 100M'];
  if (r.gte(MILLION.times(10))) return [15, 'annual revenue 10M-100M'];
  if (r.gte(MILLION)) return [10, 'annual revenue 1M-10M'];
  return [5, 'annual revenue < 1M'];
}

export const DEFAULT_TIMELINE_POINTS = 5;

function timeline(value: Timeline | null | undefined): [number, string] {
  if (value === null || value === undefined) return [DEFAULT_TIMELINE_POINTS, 'purchase timeline unknown'];
  if (value === 'none') return [0, 'no purchase planned'];
  if (value <= 1) return [15, 'purchase within 1 month'];
  if (value <= 3) return [12, 'purchase within 3 months'];
  if (value <= 6) return [8, 'purchase within 6 months'];
  if (value <= 12) return [4, 'purchase within 12 months'];
  return [0, 'purchase in more than 12 months'];
}

const TIMELINE_LABELS: Readonly<Record<string, Timeline>> = {
  immediate: 1,
  immediately: 1,
  asap: 1,
  now: 1,
  this_month: 1,
  this_quarter: 3,
  next_quarter: 6,
  this_half: 6,
  this_year: 12,
  next_year: 24,
  none: 'none',
  no_timeline: 'none',
  no_plans: 'none',
  not_planned: 'none',
};

/**
 * A purchase window from user input: months (0–120) or a known label; undefined when the input
 * says nothing the tables know (it then scores the default).
 */
export function parseTimeline(value: unknown): Timeline | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 120 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const key = value.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  if (/^\d{1,3}$/.test(key)) return parseTimeline(Number(key));
  const label = TIMELINE_LABELS[key];
  if (label !== undefined) return label;
  // "3 months", "3-6 months", "within 6 months", "next 12 months": the upper bound counts.
  const m = /^(?:within_|next_|in_)?(?:\d{1,3}_(?:to_)?)?(\d{1,3})_?(?:months?|mos?)$/.exec(key);
  return m ? parseTimeline(Number(m[1])) : undefined;
}

/** The lead's own timeline hint, from the metadata keys marketing sends. */
export function timelineFromMetadata(metadata: Readonly<Record<string, unknown>>): Timeline | undefined {
  for (const k of ['timeline', 'expected_purchase_window', 'purchase_window_months']) {
    const t = parseTimeline(metadata[k]);
    if (t !== undefined) return t;
  }
  return undefined;
}

const C_LEVEL = /\b(chief|ceo|cfo|cto|coo|cio|cmo|ciso|cro|cpo|cdo|founder|co-?founder|owner|(?<!vice[\s-]?)president)\b/;
const VP = /\b(vp|svp|evp|avp|vice[\s-]?president)\b/;
const DIRECTOR = /\b(director|head of)\b/;
const MANAGER = /\b(manager|mgr|supervisor|team lead)\b/;

function decisionMaker(title: string | null | undefined): [number, string] {
  if (!title?.trim()) return [0, 'title unknown'];
  const t = title.toLowerCase();
  if (C_LEVEL.test(t)) return [25, 'C-level'];
  if (VP.test(t)) return [20, 'VP'];
  if (DIRECTOR.test(t)) return [15, 'Director'];
  if (MANAGER.test(t)) return [10, 'Manager'];
  return [5, 'other title'];
}

export function scoreLead(input: ScoringInput): LeadScore {
  const [cs, csWhy] = companySize(input.employeeCount);
  const [ind, indWhy] = industry(input.industry);
  const [bud, budWhy] = budget(input.annualRevenue);
  const [tl, tlWhy] = timeline(input.timeline);
  const [dm, dmWhy] = decisionMaker(input.title);
  return {
    score: cs + ind + bud + tl + dm,
    breakdown: { companySize: cs, industry: ind, budget: bud, timeline: tl, decisionMaker: dm },
    basis: { companySize: csWhy, industry: indWhy, budget: budWhy, timeline: tlWhy, decisionMaker: dmWhy },
    rubricVersion: RUBRIC_VERSION,
  };
}

export const isQualifyingScore = (score: number) => score >= QUALIFICATION_THRESHOLD;
