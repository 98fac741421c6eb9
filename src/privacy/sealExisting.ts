import type { Knex } from 'knex';
import { GENESIS, eventHash } from '../eventstore/chain.js';
import type { JsonObject } from '../eventstore/port.js';
import { COLUMNS, type EventRow, toRecorded } from '../eventstore/postgres/rows.js';
import { DomainError } from '../shared/errors.js';
import { sealedOf } from './cipher.js';
import { sealUnit } from './protectedStore.js';
import type { SubjectVault } from './subjects.js';
import { ERASED_FORM, PERSONAL_DATA, PLAIN_FIELDS, type UnitKind, mapUnits, recordOf, unitsOf } from './units.js';

const PAGE = 500;

/** A unit written before sealing existed: personal data in the clear. */
export const isUnsealed = (unit: JsonObject, kind: UnitKind): boolean =>
  !sealedOf(unit) && Object.entries(unit).some(([k, v]) => !PLAIN_FIELDS[kind].includes(k) && v !== null && v !== undefined);

export async function hasUnsealedPersonalData(events: readonly { eventType: string; data: JsonObject }[]): Promise<boolean> {
  for (const e of events) if ((await unitsOf(e.eventType, e.data)).some((u) => isUnsealed(u.unit, u.kind))) return true;
  return false;
}

/**
 * One-off, for a PostgreSQL log written before personal data was sealed (`npm run replay --
 * seal-personal-data`): seals every plaintext unit in place under its subject's key (a person
 * already erased by email gets the erased form instead) and re-chains each stream it changed from
 * genesis. This rewrites those streams once, on purpose: head digests kept from before no longer
 * match them, so take new ones after. EventStoreDB's events cannot be changed; there the old
 * events keep their plaintext. Appends wait on a table lock while it runs; reads go on.
 */
export async function sealExistingPersonalData(db: Knex, vault: SubjectVault, onPage?: (done: number) => void): Promise<{ sealed: number; streams: number }> {
  return db.transaction(async (trx) => {
    await trx.raw('lock table es_events in exclusive mode');
    const touched = new Set<string>();
    let after = '0';
    let sealed = 0;
    let seen = 0;
    for (;;) {
      const { rows } = (await trx.raw(`select ${COLUMNS} from es_events where seq > ?::bigint and event_type = any(?) order by es_events.seq limit ${PAGE}`, [after, Object.keys(PERSONAL_DATA)])) as { rows: EventRow[] };
      if (rows.length === 0) break;
      for (const row of rows) {
        const tenantId = recordOf(row.stream_id)?.tenantId;
        if (!tenantId) continue;
        let changed = false;
        const data = await mapUnits(row.event_type, row.data, async (unit, kind) => {
          if (!isUnsealed(unit, kind)) return unit;
          changed = true;
          try {
            return await sealUnit(vault, { tenantId, streamId: row.stream_id, eventId: row.event_id }, unit, kind);
          } catch (err) {
            if (!(err instanceof DomainError && err.details.reason === 'PERSONAL_DATA_ERASED')) throw err;
            const plain = Object.fromEntries(Object.entries(unit).filter(([k]) => PLAIN_FIELDS[kind].includes(k)));
            return { ...plain, ...ERASED_FORM[kind] };
          }
        });
        if (!changed) continue;
        await trx('es_events').where({ seq: row.seq }).update({ data: JSON.stringify(data) });
        touched.add(row.stream_id);
        sealed++;
      }
      after = rows.at(-1)!.seq;
      onPage?.((seen += rows.length));
    }
    for (const stream of touched) await rechain(trx, stream);
    return { sealed, streams: touched.size };
  });
}

/** The stream's hashes recomputed from genesis over what it now holds (chain.ts, as appends do). */
async function rechain(trx: Knex.Transaction, streamId: string): Promise<void> {
  const { rows } = (await trx.raw(`select ${COLUMNS} from es_events where stream_id = ? order by es_events.revision`, [streamId])) as { rows: EventRow[] };
  let prev = GENESIS;
  const links = rows.map((row) => ({ seq: row.seq, hash: (prev = eventHash(prev, toRecorded(row))) }));
  await trx.raw(`update es_events e set hash = decode(v.hash, 'hex') from jsonb_to_recordset(?::jsonb) as v(seq bigint, hash text) where e.seq = v.seq`, [JSON.stringify(links)]);
}
