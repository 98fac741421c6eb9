import { createHash } from 'node:crypto';

/**
 * Names for statements whose text is one of a bounded set (a projection's few shapes): the
 * driver then parses such a statement once per connection, and PostgreSQL plans it once (a
 * generic plan, after five custom ones, when that is no worse) instead of on every call. Under
 * W2 the projections' planning cost more than their execution (issue 14). Each name holds a
 * prepared statement in every pooled connection for good, so past `max` texts a new one runs
 * unnamed (undefined): a bound on what the server keeps, whatever the texts.
 */
export function statementNames(max: number) {
  const names = new Map<string, string>();
  let renames = 0;
  return {
    nameOf(text: string): string | undefined {
      let name = names.get(text);
      if (name === undefined) {
        if (names.size >= max) return undefined;
        name = `q${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
        names.set(text, name);
      }
      return name;
    },
    /** A new name for a text whose prepared statements are stale (resultTypeChanged); the old ones are left unused. */
    rename(text: string): void {
      const name = names.get(text);
      if (name !== undefined) names.set(text, `${name.replace(/_\d+$/, '')}_${++renames}`);
    },
  };
}

const shared = statementNames(300);
export const statementName = shared.nameOf;
export const renameStatement = shared.rename;

/**
 * A named `select *` fails with 0A000 ("cached plan must not change result type") on every
 * connection that prepared it before the table's columns changed (a migration, a rebuilt table
 * of a new version swapped in): it is then renamed and prepared afresh where it is used next.
 */
export const resultTypeChanged = (err: unknown) => (err as { code?: unknown }).code === '0A000';
