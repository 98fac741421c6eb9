import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The seam for an external KMS: subject keys are stored wrapped by whatever implements this
 * (a cloud KMS's encrypt/decrypt, an HSM). The local one wraps with AES-256-GCM under a master
 * key from the environment; without one, keys are stored as they are (the embedded default:
 * erasure still works, since destroying the row destroys the only copy, but a database dump
 * then holds both keys and ciphertext).
 */
export interface KeyWrapper {
  /** Recorded beside each key, so a change of wrapper is visible and old keys stay readable. */
  readonly name: string;
  wrap(material: Buffer): Promise<Buffer>;
  unwrap(wrapped: Buffer, name: string): Promise<Buffer>;
}

export function localKeyWrapper(masterKey: Buffer | undefined): KeyWrapper {
  if (!masterKey) {
    return {
      name: 'none',
      wrap: async (m) => m,
      unwrap: async (w, name) => (name === 'none' ? w : Promise.reject(new Error(`subject key wrapped by "${name}", and no PRIVACY_MASTER_KEY is set`))),
    };
  }
  if (masterKey.length !== 32) throw new Error('PRIVACY_MASTER_KEY must be 32 bytes, base64');
  return {
    name: 'local-aes-256-gcm',
    async wrap(material) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', masterKey, iv);
      const ct = Buffer.concat([c.update(material), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), ct]);
    },
    async unwrap(wrapped, name) {
      if (name === 'none') return wrapped;
      if (name !== 'local-aes-256-gcm') throw new Error(`subject key wrapped by "${name}", which this instance cannot unwrap`);
      const d = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, 12));
      d.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([d.update(wrapped.subarray(28)), d.final()]);
    },
  };
}
