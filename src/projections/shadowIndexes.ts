import type { Knex } from 'knex';
import type { Projection } from './projection.js';

/**
 * A rebuild's shadow tables are filled without the indexes only queries use (Projection.readsBy),
 * which are built once the tables are full: a bulk load's usual order, and about a fifth less
 * work for the database per row where a table has two such indexes (bench:rebuild).
 */
interface IndexInfo {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
  readonly unique: boolean;
  /** An exclusion or other constraint's index: kept (it cannot be dropped alone). */
  readonly constraint: boolean;
  readonly columns: string[];
  readonly definition: string;
}

/** What an index is, without its name and table: method, keys, order, predicate. */
const shape = (definition: string) => definition.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, '$1');

/** The indexes of these tables in these schemas, in one query. */
async function indexesOf(q: Knex, schemas: readonly string[], tables: readonly string[]): Promise<IndexInfo[]> {
  const { rows } = await q.raw<{ rows: IndexInfo[] }>(
    `select s.nspname as schema, t.relname as table, c.relname as name, ix.indisunique as unique, pg_get_indexdef(ix.indexrelid) as definition,
            exists (select 1 from pg_constraint k where k.conindid = ix.indexrelid) as constraint,
            array(select a.attname::text from unnest(ix.indkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum order by k.n) as columns
       from pg_index ix join pg_class c on c.oid = ix.indexrelid
       join pg_class t on t.oid = ix.indrelid join pg_namespace s on s.oid = t.relnamespace
      where s.nspname = any(?) and t.relname = any(?)`,
    [[...schemas], [...tables]],
  );
  return rows;
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Right after the shadow tables are made: drops the indexes its handler does not read by. */
export async function dropQueryIndexes(trx: Knex.Transaction, p: Projection, schema: string): Promise<void> {
  const readsBy = p.readsBy;
  if (!readsBy) return;
  const unread = (await indexesOf(trx, [schema], p.tables)).filter(
    (index) => !index.unique && !index.constraint && !readsBy.some((cols) => sameColumns(cols, index.columns)),
  );
  if (unread.length) await trx.raw(`drop index ${unread.map(() => '??.??').join(', ')}`, unread.flatMap((i) => [schema, i.name]));
}

/**
 * Once filled (a resumed rebuild too): every index of the live tables the shadow ones lack, with
 * its live name (the live one goes with its table at the swap).
 */
export async function buildQueryIndexes(db: Knex, p: Projection, schema: string): Promise<void> {
  const all = await indexesOf(db, [schema, 'public'], p.tables);
  for (const index of all.filter((i) => i.schema === 'public')) {
    if (all.some((s) => s.schema === schema && s.table === index.table && shape(s.definition) === shape(index.definition))) continue;
    const definition = index.definition.replace(/ ON (ONLY )?public\./, (_m, only: string | undefined) => ` ON ${only ?? ''}${db.client.wrapIdentifier(schema)}.`);
    await db.raw(definition.replace(/\?/g, '\\?')); // a literal '?' (a jsonb operator), not a binding
  }
}
