import pg from 'pg';

/**
 * Holds one read model back: its table is locked against writes (reads go on), so its
 * projection waits while the others go on, as a model that lags does under load.
 */
export interface HeldWrites {
  /** Lets the writes go after `afterMs`; once only (later calls wait for nothing). */
  release(afterMs?: number): Promise<void>;
}

export async function holdWrites(databaseUrl: string, table: string): Promise<HeldWrites> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${client.escapeIdentifier(table)} IN EXCLUSIVE MODE`);
  } catch (err) {
    await client.end();
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    release: (afterMs = 0) =>
      (released ??= (async () => {
        await new Promise((r) => setTimeout(r, afterMs));
        try {
          await client.query('COMMIT');
        } finally {
          await client.end();
        }
      })()),
  };
}
