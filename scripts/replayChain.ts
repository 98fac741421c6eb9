import { parseArgs } from 'node:util';
import { STREAM_CATEGORIES } from '../src/aggregates/categories.js';
import { endOfUtcDay, headDigestJson, tenantHeadDigest, verifyAgainstDigest, verifyJson } from '../src/compliance/headDigest.js';
import { type ChainScope, verifyChains } from '../src/compliance/verify.js';
import type { EventStore } from '../src/eventstore/port.js';
import { TENANT_ID_PATTERN } from '../src/eventstore/streams.js';
import { progressLine } from '../src/shared/progress.js';
import { UsageError } from './usage.js';

/** The hash chain's commands of scripts/replay.ts: verify and head-digest. Exit 1 when something is broken. */

function pastInstant(text: string, what: string): Date {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${what} "${text}" is not an ISO-8601 instant`);
  if (t > Date.now()) throw new UsageError(`${what} is in the future`);
  return new Date(t);
}

function tenantOf(tenant: string | undefined): string {
  if (!TENANT_ID_PATTERN.test(tenant ?? '')) throw new UsageError('--tenant <tenant> is required');
  return tenant!;
}

function progress(label: string) {
  const bar = progressLine(label);
  const started = Date.now();
  return {
    onProgress: (done: number, total: number | undefined) => {
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(done, total, rate, total === undefined ? undefined : ((total - done) / Math.max(rate, 1)) * 1000);
    },
    finish: () => bar.finish(),
  };
}

export async function verify(deps: { storedLog: EventStore }, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string' }, stream: { type: 'string' }, digest: { type: 'string' }, 'as-of': { type: 'string' } } });
  if (values.digest !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.digest)) throw new UsageError('--digest is a hex SHA-256 (64 characters)');
  if ((values.digest === undefined) !== (values['as-of'] === undefined)) throw new UsageError('--digest and --as-of go together (both from the export)');
  if (values.digest !== undefined && values.stream !== undefined) throw new UsageError('a digest covers a tenant: give --tenant, not --stream');
  const bar = progress('verify');
  let result;
  try {
    if (values.digest !== undefined) {
      const tenant = { tenantId: tenantOf(values.tenant), categories: STREAM_CATEGORIES };
      const kept = { digest: values.digest, asOf: pastInstant(values['as-of']!, '--as-of') };
      const { report, check } = await verifyAgainstDigest(deps.storedLog, tenant, kept, bar.onProgress);
      result = verifyJson(report, check);
    } else {
      const scope: ChainScope = values.stream
        ? { kind: 'stream', streamId: values.stream }
        : values.tenant !== undefined
          ? { kind: 'tenant', tenantId: tenantOf(values.tenant), categories: STREAM_CATEGORIES }
          : { kind: 'all' };
      result = verifyJson(await verifyChains(deps.storedLog, scope, { onProgress: bar.onProgress }));
    }
  } finally {
    bar.finish();
  }
  const lines = [`verified ${result.verified_streams} streams, ${result.verified_events} events: ${result.broken.length ? `${result.broken.length} broken` : 'every chain holds'}`];
  for (const b of result.broken) {
    lines.push(`BROKEN ${b.stream_id} at revision ${b.revision}: ${b.reason}${b.expected_hash ? ` (expected ${b.expected_hash}, found ${b.found_hash ?? 'none'})` : ''}`);
  }
  if (result.digest) {
    const d = result.digest;
    lines.push(d.matches ? `head digest as of ${d.as_of}: matches` : `head digest as of ${d.as_of}: DOES NOT MATCH (kept ${d.expected}, now ${d.found})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return result.broken.length > 0 || result.digest?.matches === false ? 1 : 0;
}

export async function headDigest(deps: { storedLog: EventStore }, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { tenant: { type: 'string' }, date: { type: 'string' }, 'as-of': { type: 'string' } } });
  const tenantId = tenantOf(values.tenant);
  if (values.date !== undefined && values['as-of'] !== undefined) throw new UsageError('give --date or --as-of, not both');
  let asOf = new Date();
  if (values.date !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date) || Number.isNaN(Date.parse(values.date))) throw new UsageError('--date is a UTC day, YYYY-MM-DD');
    asOf = endOfUtcDay(values.date);
    if (asOf.getTime() >= Date.now()) throw new UsageError('--date: that day is not over yet');
  } else if (values['as-of'] !== undefined) asOf = pastInstant(values['as-of'], '--as-of');
  const bar = progress('head-digest');
  const digest = await tenantHeadDigest(deps.storedLog, { tenantId, categories: STREAM_CATEGORIES }, asOf, bar.onProgress).finally(() => bar.finish());
  process.stdout.write(`${JSON.stringify(headDigestJson(digest))}\n`);
  if (digest.report.broken.length > 0) process.stderr.write(`${digest.report.broken.length} broken chain(s): run verify --tenant ${tenantId}\n`);
  return digest.report.broken.length > 0 ? 1 : 0;
}
