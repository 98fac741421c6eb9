import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { type OwnerScope, type RelatedScope, authorizeRead, relatedScope, scopeFor } from '../access/policy.js';
import type { RelatedType } from '../aggregates/activity/related.js';
import { LEADS_TABLE, leadsProjection } from './leads.js';
import { ACTIVITIES_TABLE, TASKS_TABLE } from './activities.js';
import { whereAboutCustomer } from './customerFamily.js';
import { CUSTOMERS_TABLE, customersProjection } from './customers.js';
import { OPPORTUNITIES_TABLE, opportunitiesProjection } from './opportunities.js';

/** Reads of the activities and tasks read models; always scoped to one tenant. */
export interface ActivityRow {
  tenant_id: string;
  activity_id: string;
  type: string;
  subject: string;
  description: string | null;
  related_type: RelatedType;
  related_id: string;
  owner_id: string;
  due_date: Date | null;
  completed_date: Date | null;
  status: string;
  priority: string;
  outcome: string | null;
  cancel_reason: string | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface TaskRow {
  tenant_id: string;
  task_id: string;
  title: string;
  description: string | null;
  task_type: string;
  related_type: RelatedType | null;
  related_id: string | null;
  assignee_id: string;
  due_date: Date;
  completed_at: Date | null;
  completed_by: string | null;
  status: string;
  priority: string;
  cancel_reason: string | null;
  revision: string;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

/** The filters both lists take (GET /activities, GET /tasks). */
export interface WorkFilters {
  /** Whose records the caller reaches (the access policy's scope). */
  readonly owners: OwnerScope;
  /** The related records through which the caller reaches work (the policy's related scope). */
  readonly related: RelatedScope;
  /** The owner (activities) or the assignee (tasks). */
  readonly ownerId?: string;
  readonly relatedType?: RelatedType;
  readonly relatedId?: string;
  /** About this customer, its deals or the lead it came from (customerFamily.ts). */
  readonly customerId?: string;
  readonly status?: string;
  readonly type?: string;
  readonly priority?: string;
  readonly dueBefore?: Date;
  readonly dueAfter?: Date;
  /** true: still to do and past due; false: anything else. */
  readonly overdue?: boolean;
  /** The instant "overdue" is judged at. */
  readonly now: Date;
}

interface Spec {
  readonly table: string;
  readonly id: string;
  readonly owner: string;
  readonly typeColumn: string;
  /** The status of work still to do. */
  readonly pending: string;
  readonly order: readonly { column: string; order?: 'asc' | 'desc' }[];
}

const ACTIVITIES: Spec = {
  table: ACTIVITIES_TABLE,
  id: 'activity_id',
  owner: 'owner_id',
  typeColumn: 'type',
  pending: 'planned',
  order: [{ column: 'created_at', order: 'desc' }, { column: 'activity_id' }],
};
const TASKS: Spec = {
  table: TASKS_TABLE,
  id: 'task_id',
  owner: 'assignee_id',
  typeColumn: 'task_type',
  pending: 'open',
  order: [{ column: 'due_date' }, { column: 'task_id' }],
};

/**
 * Where a related record and its owner are, to apply the policy's related scope in SQL, and the
 * read model that holds them; customers have no owner.
 */
const RELATED_RECORDS: Readonly<Record<RelatedType, { table: string; id: string; owner?: string; readModel: string }>> = {
  lead: { table: LEADS_TABLE, id: 'lead_id', owner: 'owner_id', readModel: leadsProjection.name },
  opportunity: { table: OPPORTUNITIES_TABLE, id: 'opportunity_id', owner: 'owner_id', readModel: opportunitiesProjection.name },
  customer: { table: CUSTOMERS_TABLE, id: 'customer_id', readModel: customersProjection.name },
};

/**
 * The read models whose rows decide who sees a piece of work besides its own (its related
 * records): read-your-writes waits for them too, or work about a record created just before
 * would be hidden from those who reach it through that record.
 */
export const WORK_SCOPE_READ_MODELS: readonly string[] = Object.values(RELATED_RECORDS).map((r) => r.readModel);

/** The columns of a table holding work: who owns it and what it is about. */
export interface WorkColumns {
  readonly table: string;
  readonly owner: string;
}

/**
 * The access policy's scope of work, in SQL (docs/architecture.md, "Activities and tasks"): rows
 * whose owner / assignee the caller reaches, or whose related record it reaches (policy.ts,
 * RELATED_RESOURCE). Used by the activity and task lists and by the customer timeline.
 */
export function whereWorkVisible(q: Knex.QueryBuilder, cols: WorkColumns, owners: OwnerScope, related: RelatedScope): void {
  if (owners === 'all') return;
  const t = cols.table;
  q.where((w) => {
    w.whereIn(`${t}.${cols.owner}`, [...owners]);
    for (const [type, scope] of Object.entries(related) as [RelatedType, OwnerScope][]) {
      const rel = RELATED_RECORDS[type];
      if (scope !== 'all' && !rel.owner) continue; // an ownerless record is reached wholly or not at all
      w.orWhereExists((s) => {
        s.select(1)
          .from(rel.table)
          .whereRaw(`${rel.table}.tenant_id = ${t}.tenant_id and ${rel.table}.${rel.id} = ${t}.related_id and ${t}.related_type = ?`, [type]);
        if (scope !== 'all') s.whereIn(`${rel.table}.${rel.owner}`, [...scope]);
      });
    }
  });
}

/**
 * Work on one record: on a deal or a customer, also the work on the lead converted into it (a
 * qualified lead's follow-up stays about the lead, and shows under what the lead became).
 */
function whereRelated(q: Knex.QueryBuilder, t: string, tenantId: string, type: RelatedType, id: string): void {
  q.where((w) => {
    w.where({ [`${t}.related_type`]: type, [`${t}.related_id`]: id });
    if (type === 'lead') return;
    w.orWhere((l) =>
      l.where(`${t}.related_type`, 'lead').whereIn(
        `${t}.related_id`,
        (s) => void s.select('lead_id').from(LEADS_TABLE).where({ tenant_id: tenantId, [type === 'opportunity' ? 'opportunity_id' : 'customer_id']: id }),
      ),
    );
  });
}

async function list<R>(db: Knex, spec: Spec, tenantId: string, f: WorkFilters, page: { limit: number; offset: number }): Promise<{ rows: R[]; total: number }> {
  const t = spec.table;
  const where = (q: Knex.QueryBuilder) => {
    q.where(`${t}.tenant_id`, tenantId);
    whereWorkVisible(q, spec, f.owners, f.related);
    if (f.ownerId) q.where(`${t}.${spec.owner}`, f.ownerId);
    if (f.relatedType && f.relatedId) whereRelated(q, t, tenantId, f.relatedType, f.relatedId);
    else if (f.relatedType) q.where(`${t}.related_type`, f.relatedType);
    else if (f.relatedId) q.where(`${t}.related_id`, f.relatedId);
    if (f.customerId) whereAboutCustomer(q, t, tenantId, f.customerId);
    if (f.status) q.where(`${t}.status`, f.status);
    if (f.type) q.where(`${t}.${spec.typeColumn}`, f.type);
    if (f.priority) q.where(`${t}.priority`, f.priority);
    if (f.dueBefore) q.where(`${t}.due_date`, '<', f.dueBefore);
    if (f.dueAfter) q.where(`${t}.due_date`, '>', f.dueAfter);
    if (f.overdue === true) q.where(`${t}.status`, spec.pending).where(`${t}.due_date`, '<', f.now);
    if (f.overdue === false) q.where((w) => w.whereNot(`${t}.status`, spec.pending).orWhereNull(`${t}.due_date`).orWhere(`${t}.due_date`, '>=', f.now));
  };
  const [rows, count] = await Promise.all([
    db(t).select(`${t}.*`).modify(where).orderBy(spec.order.map((o) => ({ ...o, column: `${t}.${o.column}` }))).limit(page.limit).offset(page.offset),
    db(t).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: rows as R[], total: Number(count[0]?.count ?? 0) };
}

export const getActivity = (db: Knex, tenantId: string, id: string): Promise<ActivityRow | undefined> =>
  db<ActivityRow>(ACTIVITIES_TABLE).where({ tenant_id: tenantId, activity_id: id }).first();

export const getTask = (db: Knex, tenantId: string, id: string): Promise<TaskRow | undefined> =>
  db<TaskRow>(TASKS_TABLE).where({ tenant_id: tenantId, task_id: id }).first();

/** The activities the caller may see, filtered (an owner outside its reach is FORBIDDEN). */
export const activitiesFor = (db: Knex, access: Access, filters: Omit<WorkFilters, 'owners' | 'related'>, page: { limit: number; offset: number }) =>
  list<ActivityRow>(db, ACTIVITIES, access.tenantId, { ...filters, owners: scopeFor(access, 'activity', filters.ownerId), related: relatedScope(access, 'read') }, page);

/** The tasks the caller may see, filtered (an assignee outside its reach is FORBIDDEN). */
export const tasksFor = (db: Knex, access: Access, filters: Omit<WorkFilters, 'owners' | 'related'>, page: { limit: number; offset: number }) =>
  list<TaskRow>(db, TASKS, access.tenantId, { ...filters, owners: scopeFor(access, 'task', filters.ownerId), related: relatedScope(access, 'read') }, page);

/**
 * FORBIDDEN unless the caller may read this row: the policy on its owner / assignee and on the
 * record it is about, as its read model holds that record's owner (as the lists decide).
 */
async function requireVisible(db: Knex, access: Access, resource: 'activity' | 'task', owner: string, related: { type: RelatedType; id: string } | null): Promise<void> {
  const rel = related && RELATED_RECORDS[related.type];
  const row = rel && ((await db(rel.table).where({ tenant_id: access.tenantId, [rel.id]: related.id }).first(rel.owner ?? rel.id)) as Record<string, string> | undefined);
  authorizeRead(access, resource, owner, related && row ? { type: related.type, owner: rel.owner ? row[rel.owner] : undefined } : undefined);
}

const relatedOf = (row: { related_type: RelatedType | null; related_id: string | null }) =>
  row.related_type && row.related_id ? { type: row.related_type, id: row.related_id } : null;

export const requireActivityVisible = (db: Knex, access: Access, row: ActivityRow) => requireVisible(db, access, 'activity', row.owner_id, relatedOf(row));
export const requireTaskVisible = (db: Knex, access: Access, row: TaskRow) => requireVisible(db, access, 'task', row.assignee_id, relatedOf(row));
