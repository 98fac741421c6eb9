import { expect } from 'chai';
import { createCommandHandler } from '../../src/commands/handler.js';
import { type EventStore, comparePositions, parsePosition } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { createLogger } from '../../src/shared/logger.js';
import { TABLE, positionOf } from '../../src/subscriptions/checkpoints.js';
import { reevaluateSegments } from '../../src/workflows/segmentSchedule.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { DAY_MS, type GenCustomer, README_DEFAULTS, type WireSegment, expectedMembers, prng } from './segmentCustomers.js';
import { eventually, restartWorkflowsFromZero } from './support.js';

/**
 * Segmentation end to end on the real service: a generated customer set with firmographics,
 * deals (some past their expected close date, some pushed later, some closed) and activities
 * (completed long ago or lately, planned, reopened); membership read through
 * GET /customers?segment= must equal the rules computed independently in segmentCustomers.ts.
 */
const T = 'tenant-seg';
const rep = { tenantId: T, userId: 'user-300', roles: ['sales_rep'] };
const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
const INDUSTRIES = [null, 'Technology', 'Financial Services', 'Retail', 'Healthcare', 'Manufacturing'];
const STATUSES = ['ACTIVE', 'ACTIVE', 'INACTIVE', 'PROSPECT'] as const;
const FUTURE_DAYS = 61;

describe('workflow: segmentation over a generated customer set', function () {
  this.timeout(600_000);
  let app: TestApp;
  let store: EventStore;
  const customers: GenCustomer[] = [];
  const rnd = prng(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
  // Away from today and from the future moment the periodic run is tested at.
  const safe = (o: number) => ([-1, 0, 1].includes(o) ? o + 3 : [FUTURE_DAYS - 1, FUTURE_DAYS, FUTURE_DAYS + 1].includes(o) ? o + 3 : o);
  // Ages away from the 30- and 90-day thresholds, now and FUTURE_DAYS later.
  const age = () => pick([between(1, 25), between(35, 80), between(100, 200)]);

  const send = async (method: string, path: string, body: unknown, identity: Record<string, unknown> = rep) => {
    const res = await app.request(method, path, { body, identity });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res.body;
  };

  const segmentEvents = async () =>
    Number(
      ((await app.database.db('es_events').where('event_type', 'CustomerProfileUpdatedEvent').whereRaw(`data->'changedFields' @> '["segments"]'::jsonb`).whereLike('stream_id', `%-${T}:%`).count({ n: '*' })) as { n: string }[])[0]!.n,
    );

  /** Every member of each segment, paged through as a client would. */
  async function membership(codes: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const code of codes) {
      const ids: string[] = [];
      for (let offset = 0; ; offset += 50) {
        const res = await app.request('GET', `/api/v1/customers?segment=${encodeURIComponent(code.toLowerCase())}&limit=50&offset=${offset}`, { identity: rep });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        ids.push(...(res.body.data as { id: string }[]).map((c) => c.id));
        if (!res.body.pagination.has_more) break;
      }
      out.set(code, ids.sort());
    }
    return out;
  }

  async function expectMembership(defs: readonly WireSegment[], codes: readonly string[], now: () => number): Promise<void> {
    let last = '';
    try {
      await eventually('membership to match the rules', async () => {
        const want = expectedMembers(customers, defs, now());
        for (const c of codes) if (!want.has(c)) want.set(c, []);
        const got = await membership(codes);
        last = codes.map((c) => `${c}: want ${want.get(c)!.length} [${want.get(c)!.filter((id) => !got.get(c)!.includes(id)).join(',')} missing] [${got.get(c)!.filter((id) => !want.get(c)!.includes(id)).join(',')} extra]`).join('; ');
        return codes.every((c) => JSON.stringify(got.get(c)) === JSON.stringify(want.get(c))) ? true : undefined;
      }, 240_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${last}`);
    }
  }

  /** Until the segmentation workflow has handled everything in the log now. */
  async function workflowIdle(): Promise<void> {
    const head = parsePosition((await app.request('GET', '/health', { auth: false })).body.event_store_head as string)!;
    await eventually('the segmentation workflow to reach the head', async () => {
      const row = (await app.database.db(TABLE).where({ name: 'workflow:segmentation' }).first()) as { position_commit: string; position_prepare: string };
      return comparePositions(positionOf(row), head) >= 0 ? true : undefined;
    }, 120_000);
  }

  before(async function () {
    this.timeout(600_000);
    app = await startTestApp({ SEGMENT_EVALUATION_INTERVAL_MS: String(86_400_000) });
    store = createPostgresEventStore({ connection: app.database.url });
    for (let i = 1; i <= 120; i++) {
      const id = `SEG-${String(i).padStart(3, '0')}`;
      const employees = rnd() < 0.15 ? null : pick([between(1, 199), between(200, 999), between(1000, 5000), pick([199, 200, 999, 1000])]);
      const revenue = rnd() < 0.2 ? null : rnd() < 0.1 ? pick(['50000000.00', '49999999.99']) : `${between(0, 199_999_999)}.${String(between(0, 99)).padStart(2, '0')}`;
      const c: GenCustomer = { id, status: pick(STATUSES), industry: pick(INDUSTRIES), employees, revenue, createdAt: Date.now(), deals: [], completed: [] };
      await send('POST', '/api/v1/customers', {
        customer_id: id,
        name: `Generated ${i}`,
        status: c.status,
        ...(c.industry ? { industry: c.industry } : {}),
        ...(employees !== null ? { employee_count: employees } : {}),
        ...(revenue !== null ? { annual_revenue: revenue } : {}),
      });
      customers.push(c);
      for (let d = 0, n = between(0, 2); d < n; d++) {
        const deal = { id: `${id}-D${d}`, closeDate: null as string | null, open: true, pushed: false };
        const offset = rnd() < 0.1 ? null : safe(pick([between(-60, -2), between(2, 120)]));
        deal.closeDate = offset === null ? null : day(offset);
        await send('POST', '/api/v1/opportunities', { id: deal.id, customer_id: id, amount: '1000.00', ...(offset !== null ? { expected_close_date: deal.closeDate } : {}) });
        const r = rnd();
        if (r < 0.15) await send('POST', `/api/v1/opportunities/${deal.id}/close`, { outcome: 'won' });
        else if (r < 0.25) await send('POST', `/api/v1/opportunities/${deal.id}/close`, { outcome: 'lost', reason: 'price' });
        else if (r < 0.4 && offset !== null) {
          deal.closeDate = day(safe(offset + between(10, 40)));
          deal.pushed = true;
          await send('PATCH', `/api/v1/opportunities/${deal.id}`, { expected_close_date: deal.closeDate });
        } else if (r < 0.5 && offset !== null && offset >= 10) {
          deal.closeDate = day(safe(offset - 5)); // moved earlier: not a slip
          await send('PATCH', `/api/v1/opportunities/${deal.id}`, { expected_close_date: deal.closeDate });
        }
        deal.open = r >= 0.25;
        c.deals.push(deal);
      }
      for (let a = 0, n = between(0, 3); a < n; a++) {
        const related = c.deals.length && rnd() < 0.4 ? { type: 'opportunity', id: pick(c.deals).id } : { type: 'customer', id };
        const r = rnd();
        const completedAt = Date.now() - age() * DAY_MS;
        const body = { type: 'call', subject: 'Check in', related_to: related, ...(r < 0.2 ? {} : { completed_date: new Date(completedAt).toISOString() }) };
        const made = await send('POST', '/api/v1/activities', body);
        if (r >= 0.2 && r < 0.3) await send('POST', `/api/v1/activities/${made.id}/reopen`, {});
        else if (r >= 0.3) c.completed.push(completedAt);
      }
    }
  });
  after(async function () {
    this.timeout(60_000);
    await store?.close();
    await app?.stop();
  });

  const codesOf = (defs: readonly WireSegment[]) => defs.map((d) => d.code);

  it("seed 003's default segments: membership equals the rules, and the 360 view shows a customer's segments", async () => {
    // The generated set puts someone in every segment and no segment holds everyone.
    for (const ids of expectedMembers(customers, README_DEFAULTS, Date.now()).values()) expect(ids.length).to.be.within(1, customers.length - 1);
    await expectMembership(README_DEFAULTS, codesOf(README_DEFAULTS), Date.now);
    const sample = customers.find((c) => c.employees !== null && c.employees >= 1000)!;
    const view = await app.request('GET', `/api/v1/customers/${sample.id}`, { identity: rep });
    expect(view.body.segments).to.include('ENTERPRISE');
    expect(view.body).to.include({ employee_count: sample.employees, industry: sample.industry });
  });

  const custom: WireSegment[] = [
    README_DEFAULTS[0]!,
    { code: 'TECH_GROWTH', name: 'Tech growth', criteria: { industry: ['technology', 'FINANCIAL SERVICES'], company_size: { min_employees: 50, max_employees: 2000 }, lifecycle: ['ACTIVE', 'PROSPECT'] } },
    { code: 'STALLED', name: 'Stalled', criteria: { behavior: { no_activity_days: 30, min_slipped_deals: 1, match: 'all' } } },
    { code: 'MID_REVENUE', name: 'Mid revenue', criteria: { revenue: { min: '1000000.00', max: '49999999.99' }, lifecycle: ['ACTIVE'] } },
  ];
  const allCodes = [...new Set([...codesOf(README_DEFAULTS), ...codesOf(custom)])];

  it('new definitions re-evaluate every customer; removed segments empty out', async () => {
    for (const ids of expectedMembers(customers, custom, Date.now()).values()) expect(ids.length).to.be.within(1, customers.length - 1);
    await send('PUT', '/api/v1/segments', { segments: custom }, admin);
    await expectMembership(custom, allCodes, Date.now);
  });

  it('a change of facts appends exactly one profile event; re-evaluating or replaying appends nothing', async () => {
    const c = customers.find((x) => x.employees !== null && x.employees < 1000)!;
    const history = async () => ((await app.request('GET', `/api/v1/customers/${c.id}/history`, { identity: rep })).body.data as { event_type: string; actor: string; changes: { changed_fields: string[]; segments?: string[] } }[]).filter((e) => e.changes.changed_fields?.includes('segments'));
    await workflowIdle();
    const before = await history();
    await send('PATCH', `/api/v1/customers/${c.id}`, { employee_count: 5000 });
    c.employees = 5000;
    const after = await eventually('the segment change', async () => ((await history()).length > before.length ? history() : undefined));
    await workflowIdle();
    expect(await history()).to.have.length(before.length + 1);
    const change = after.at(-1)!;
    expect(change.actor).to.equal('system:workflow:segmentation');
    expect(change.changes.segments).to.include('ENTERPRISE');

    const total = await segmentEvents();
    const deps = { store, db: app.app.db, execute: createCommandHandler({ store }), log: createLogger('silent') };
    expect(await reevaluateSegments(deps, new Date())).to.equal(0);
    await restartWorkflowsFromZero(app, 'workflow:segmentation');
    expect(await segmentEvents()).to.equal(total);
    await expectMembership(custom, allCodes, Date.now);
  });

  it('time alone: the periodic run at a later moment moves customers into behaviour segments, once', async () => {
    const deps = { store, db: app.app.db, execute: createCommandHandler({ store }), log: createLogger('silent') };
    const future = new Date(Date.now() + FUTURE_DAYS * DAY_MS);
    expect(await reevaluateSegments(deps, future)).to.be.greaterThan(0);
    await expectMembership(custom, allCodes, () => future.getTime());
    expect(await reevaluateSegments(deps, future)).to.equal(0);
  });
});
