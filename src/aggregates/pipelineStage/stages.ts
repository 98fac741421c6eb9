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
  /** Sorted by order. */
  readonly stages: readonly StageDefinition[];
  /** Other spellings accepted on input, by normalised code. */
  readonly aliases: Readonly<Record<string, string>>;
  /**
   * Allowed moves, by from-stage code: every stage has an entry, won and lost stages an empty
   * one (a closed opportunity never moves). Staying in the current stage is always allowed.
   */
  readonly transitions: Readonly<Record<string, readonly string[]>>;
}

/** Every move from an open stage to any other stage; none out of a closed one. */
export function openTransitions(stages: readonly StageDefinition[]): Record<string, string[]> {
  return Object.fromEntries(
    stages.map((s) => [s.code, s.kind === 'open' ? stages.filter((t) => t.code !== s.code).map((t) => t.code) : []]),
  );
}

const DEFAULT_STAGES: readonly StageDefinition[] = [
  { code: 'PROSPECTING', name: 'Prospecting', order: 1, probability: 10, kind: 'open' },
  { code: 'QUALIFICATION', name: 'Qualification', order: 2, probability: 25, kind: 'open' },
  { code: 'PROPOSAL', name: 'Proposal', order: 3, probability: 50, kind: 'open' },
  { code: 'NEGOTIATION', name: 'Negotiation', order: 4, probability: 75, kind: 'open' },
  { code: 'CLOSED_WON', name: 'Closed won', order: 5, probability: 100, kind: 'won' },
  { code: 'CLOSED_LOST', name: 'Closed lost', order: 6, probability: 0, kind: 'lost' },
];

export const DEFAULT_STAGE_SET: StageSet = {
  stages: DEFAULT_STAGES,
  aliases: { DISCOVERY: 'PROSPECTING' },
  transitions: openTransitions(DEFAULT_STAGES),
};

/** Where a deal starts when no stage is given: the first open stage by order. */
export function firstOpenStage(set: StageSet): StageDefinition | undefined {
  return set.stages.find((s) => s.kind === 'open');
}

export function normaliseStageCode(input: string): string {
  return input
    .trim()
    .replace(/[\s-]+/g, '_')
    .toUpperCase();
}

/** The code an input means in this set: normalised, aliases resolved (it may not exist). */
export function resolveStageCode(set: StageSet, input: string): string {
  const code = normaliseStageCode(input);
  return set.aliases[code] ?? code;
}

/** The stage an input names in this set (case-insensitive, aliases resolved), if any. */
export function findStage(set: StageSet, input: string): StageDefinition | undefined {
  const resolved = resolveStageCode(set, input);
  return set.stages.find((s) => s.code === resolved);
}

export const stageCodes = (set: StageSet): string[] => set.stages.map((s) => s.code);
export const stageOfKind = (set: StageSet, kind: StageKind): StageDefinition | undefined =>
  set.stages.find((s) => s.kind === kind);

/**
 * Where an opportunity in `fromCode` may move (besides staying). A stage the set no longer
 * has (the tenant retired it while opportunities sat in it) may move to any stage of the set,
 * so that those opportunities are never stuck.
 */
export function allowedTargets(set: StageSet, fromCode: string): readonly string[] {
  const from = findStage(set, fromCode);
  if (!from) return stageCodes(set);
  if (from.kind !== 'open') return [];
  return set.transitions[from.code] ?? stageCodes(set).filter((c) => c !== from.code);
}
