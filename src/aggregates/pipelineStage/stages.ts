/**
 * Stage sets. The seeds disagree on spelling (QUALIFICATION in 000/002, qualification in 003,
 * discovery in 004); we settle it once here: a stage code is UPPER_SNAKE_CASE in events and
 * storage, and input in any case (or with spaces/dashes) is normalised to it.
 *
 * Until a tenant configures its own set (the PipelineStage aggregate), it gets seed 003's
 * defaults. Seed 004's "discovery" is accepted as a synonym of PROSPECTING, the seed 003
 * stage it describes.
 */
export type StageKind = 'open' | 'won' | 'lost';

export interface StageDefinition {
  readonly code: string;
  readonly name: string;
  readonly order: number;
  /** Default win probability in percent (0..100). */
  readonly probability: number;
  readonly kind: StageKind;
}

export interface StageSet {
  readonly stages: readonly StageDefinition[];
  /** Other spellings accepted on input, by normalised code. */
  readonly aliases: Readonly<Record<string, string>>;
}

export const DEFAULT_STAGE_SET: StageSet = {
  stages: [
    { code: 'PROSPECTING', name: 'Prospecting', order: 1, probability: 10, kind: 'open' },
    { code: 'QUALIFICATION', name: 'Qualification', order: 2, probability: 25, kind: 'open' },
    { code: 'PROPOSAL', name: 'Proposal', order: 3, probability: 50, kind: 'open' },
    { code: 'NEGOTIATION', name: 'Negotiation', order: 4, probability: 75, kind: 'open' },
    { code: 'CLOSED_WON', name: 'Closed won', order: 5, probability: 100, kind: 'won' },
    { code: 'CLOSED_LOST', name: 'Closed lost', order: 6, probability: 0, kind: 'lost' },
  ],
  aliases: { DISCOVERY: 'PROSPECTING' },
};

export function normaliseStageCode(input: string): string {
  return input
    .trim()
    .replace(/[\s-]+/g, '_')
    .toUpperCase();
}

/** The stage an input names in this set (case-insensitive, aliases resolved), if any. */
export function findStage(set: StageSet, input: string): StageDefinition | undefined {
  const code = normaliseStageCode(input);
  const resolved = set.aliases[code] ?? code;
  return set.stages.find((s) => s.code === resolved);
}

export const stageCodes = (set: StageSet): string[] => set.stages.map((s) => s.code);
export const stageOfKind = (set: StageSet, kind: StageKind): StageDefinition | undefined =>
  set.stages.find((s) => s.kind === kind);
