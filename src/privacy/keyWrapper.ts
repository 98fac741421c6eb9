import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The seam for an external KMS: subject keys are stored wrapped by whatever implements this
 * (a cloud KMS's encrypt/decrypt, an HSM). The local one wraps with AES-256-GCM under a master
 * key from the environment; without one, keys are stored as they are (the embedded default:
 * erasure still works, since destroying the row destroys the only copy, but a database dump
 * then holds both keys and ciphertext).
 */
export interface KeyWrapper {
  /** Recorded beside each key (with the master key's id), so a rotation can still unwrap old keys. */
  readonly name: string;
  wrap(material: Buffer): Promise<Buffer>;
  unwrap(wrapped: Buffer, name: string): Promise<Buffer>;
}

const LOCAL = 'local-aes-256-gcm';
const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 12);

/** `masterKeys[0]` wraps; every one of them unwraps (the previous ones, during a rotation). */
export function localKeyWrapper(...masterKeys: (Buffer | undefined)[]): KeyWrapper {
  const keys = masterKeys.filter((k): k is Buffer => k !== undefined);
  for (const k of keys) if (k.length !== 32) throw new Error('PRIVACY_MASTER_KEY must be 32 bytes, base64');
  const byId = new Map(keys.map((k) => [keyId(k), k]));
  const current = keys[0];
  return {
    name: current ? `${LOCAL}:${keyId(current)}` : 'none',
    async wrap(material) {
      if (!current) return material;
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', current, iv);
      const ct = Buffer.concat([c.update(material), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), ct]);
    },
    async unwrap(wrapped, name) {
      if (name === 'none') return wrapped;
      const [kind, id] = name.split(':');
      const master = kind === LOCAL && id ? byId.get(id) : undefined;
      if (!master) throw new Error(`a subject key is wrapped by "${name}": set that key as PRIVACY_MASTER_KEY or in PRIVACY_MASTER_KEY_PREVIOUS`);
      const d = createDecipheriv('aes-256-gcm', master, wrapped.subarray(0, 12));
      d.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([d.update(wrapped.subarray(28)), d.final()]);
    },
  };
}
