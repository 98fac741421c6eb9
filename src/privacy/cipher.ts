import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import type { JsonObject } from '../eventstore/port.js';

/**
 * AES-256-GCM per data subject (node:crypto). A sealed unit keeps the fields that identify
 * nobody in the clear and the rest as `$sealed`; the hash chain covers this stored form, so
 * destroying the key erases the data without rewriting (or breaking) the log.
 *
 * The IV is synthetic: an HMAC of where the unit is stored and what it says. The same event
 * written again (a retried append) seals to the same bytes, so the store's repeat check still
 * sees a repeat; two different plaintexts never share an IV under one key.
 */
export interface Sealed {
  readonly v: 1;
  readonly subject: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

export interface SubjectKey {
  readonly enc: Buffer;
  readonly iv: Buffer;
}

/** Two purpose-bound keys from the subject's 32 random bytes. */
export function subjectKey(material: Buffer): SubjectKey {
  const both = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'crm personal data v1', 64));
  return { enc: both.subarray(0, 32), iv: both.subarray(32) };
}

const aad = (tenantId: string, subject: string) => Buffer.from(`${tenantId}\n${subject}`);

export function seal(key: SubjectKey, at: { tenantId: string; subject: string; where: string }, personal: JsonObject): Sealed {
  const plaintext = Buffer.from(JSON.stringify(personal));
  const iv = createHmac('sha256', key.iv).update(at.where).update('\n').update(plaintext).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', key.enc, iv);
  cipher.setAAD(aad(at.tenantId, at.subject));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { v: 1, subject: at.subject, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Throws when the ciphertext, tag, tenant or subject do not match: nothing is ever half-read. */
export function open(key: SubjectKey, tenantId: string, sealed: Sealed): JsonObject {
  const decipher = createDecipheriv('aes-256-gcm', key.enc, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(aad(tenantId, sealed.subject));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const plaintext = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  return JSON.parse(plaintext.toString('utf8')) as JsonObject;
}

export function sealedOf(unit: JsonObject): Sealed | undefined {
  const s = unit.$sealed;
  return s && typeof s === 'object' && !Array.isArray(s) && s.v === 1 && typeof s.subject === 'string' ? (s as unknown as Sealed) : undefined;
}
