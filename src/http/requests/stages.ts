import { z } from 'zod';
import { integer, text } from '../fields.js';

/** Stage configuration bodies (stage codes in any case: the decider normalises and checks them). */
const stageCode = z.string().trim().min(1).max(64);
// Map keys are stage codes or aliases too.
const stageKey = z.string().min(1).max(64);
const stageKind = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['open', 'won', 'lost']));

export const stageInput = z.strictObject({
  code: stageCode,
  name: text(100),
  order: integer(0, 1_000_000).optional(),
  probability: integer(0, 100),
  kind: stageKind,
});

export const configureStagesBody = z.strictObject({
  stages: z.array(stageInput).min(1).max(50),
  /** By from-stage; an open stage not listed may move to any other stage. */
  transitions: z.record(stageKey, z.array(stageCode).max(50)).optional(),
  /** alias → stage code, e.g. {"DISCOVERY": "PROSPECTING"}. */
  aliases: z.record(stageKey, stageCode).optional(),
});

export const updateStageBody = z
  .strictObject({ name: text(100).optional(), probability: integer(0, 100).optional() })
  .refine((b) => b.name !== undefined || b.probability !== undefined, { message: 'nothing to update: give name or probability' });
