import type { Knex } from 'knex';
import type { EventStore } from '../eventstore/port.js';
import { localKeyWrapper } from './keyWrapper.js';
import { type Unreadable, protectPersonalData } from './protectedStore.js';
import { type SubjectVault, createSubjectVault } from './subjects.js';

export interface PersonalDataLayer {
  /** What everything reads and writes through: personal data sealed in, opened (or erased) out. */
  readonly store: EventStore;
  /** The log exactly as stored (ciphertext): what the hash chain covers and integrity checks read. */
  readonly storedLog: EventStore;
  readonly vault: SubjectVault;
}

/** One composition for the service and the replay tool, so neither can skip the layer. */
export function personalDataLayer(
  storedLog: EventStore,
  db: Knex,
  masterKeys: { current?: string | undefined; previous?: readonly string[] | undefined } | undefined,
  onUnreadable?: Unreadable,
): PersonalDataLayer {
  const decode = (k: string | undefined) => (k ? Buffer.from(k, 'base64') : undefined);
  const vault = createSubjectVault(db, localKeyWrapper(decode(masterKeys?.current), ...(masterKeys?.previous ?? []).map(decode)));
  return { store: protectPersonalData(storedLog, vault, onUnreadable), storedLog, vault };
}
