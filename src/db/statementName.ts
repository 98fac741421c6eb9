import { createHash } from 'node:crypto';

/**
 * A name for a statement whose text is one of a bounded set (a projection's few shapes): the
 * driver then parses it once per connection, and PostgreSQL plans it once (a generic plan, after
 * five custom ones, when that is no worse) instead of on every call. Under W2 the projections'
 * planning cost more than their execution (issue 14). Only for texts from a bounded set: each
 * name holds a prepared statement in every pooled connection.
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= 1000) names.clear();
    name = `q${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    names.set(text, name);
  }
  return name;
}

const names = new Map<string, string>();
let renames = 0;

/**
 * A named `select *` fails with 0A000 ("cached plan must not change result type") on every
 * connection that prepared it before the table's columns changed (a migration, a rebuilt table
 * of a new version swapped in). The text then gets a new name, prepared afresh where it is used
 * next; the old ones are left unused.
 */
export const resultTypeChanged = (err: unknown) => (err as { code?: unknown }).code === '0A000';

export function renameStatement(text: string): void {
  names.set(text, `${statementName(text)}_${++renames}`);
}
