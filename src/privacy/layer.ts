import type { Knex } from 'knex';
import type { EventStore } from '../eventstore/port.js';
import { localKeyWrapper } from './keyWrapper.js';
import { protectPersonalData } from './protectedStore.js';
import { type SubjectVault, createSubjectVault } from './subjects.js';

export interface PersonalDataLayer {
  /** What everything reads and writes through: personal data sealed in, opened (or erased) out. */
  readonly store: EventStore;
  /** The log exactly as stored (ciphertext): what the hash chain covers and integrity checks read. */
  readonly storedLog: EventStore;
  readonly vault: SubjectVault;
}

/** One composition for the service and the replay tool, so neither can skip the layer. */
export function personalDataLayer(storedLog: EventStore, db: Knex, masterKeyBase64: string | undefined): PersonalDataLayer {
  const vault = createSubjectVault(db, localKeyWrapper(masterKeyBase64 ? Buffer.from(masterKeyBase64, 'base64') : undefined));
  return { store: protectPersonalData(storedLog, vault), storedLog, vault };
}
