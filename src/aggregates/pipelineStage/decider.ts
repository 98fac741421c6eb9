import { notFound, validation } from '../../shared/errors.js';
import type { Decider } from '../decider.js';
import type { PipelineStageCommand, StageInput } from './commands.js';
import type { PipelineStageEvent, PipelineStagesConfigured, PipelineStageUpdated } from './events.js';
import { DEFAULT_STAGE_SET, type StageDefinition, type StageSet, findStage, normaliseStageCode } from './stages.js';

/**
 * A tenant's stage set. `configured` is false until the first event: the tenant then has the
 * code's DEFAULT_STAGE_SET; once configured, its stream alone determines its set.
 */
export interface PipelineStageState {
  readonly configured: boolean;
  readonly set: StageSet;
}

export const STAGE_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
const MAX_NAME = 100;
const MAX_STAGES = 50;

interface Issue {
  field: string;
  message: string;
}

const isProbability = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 100;

/** Won stages win for certain and lost ones never; the Opportunity folds them to 100 and 0. */
function closedProbabilityIssue(kind: StageDefinition['kind'], probability: number): string | undefined {
  if (kind === 'won' && probability !== 100) return 'a won stage has probability 100';
  if (kind === 'lost' && probability !== 0) return 'a lost stage has probability 0';
  return undefined;
}

/**
 * The command's set, normalised and checked; every problem is reported at once as
 * `details.fields` ({field, message}), the shape zod failures have at the edge.
 */
export function validateStageSet(command: Extract<PipelineStageCommand, { type: 'ConfigureStages' }>): StageSet {
  const issues: Issue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });

  if (command.stages.length === 0) issue('stages', 'at least one stage is required');
  if (command.stages.length > MAX_STAGES) issue('stages', `at most ${MAX_STAGES} stages`);

  const stages: StageDefinition[] = [];
  const codes = new Set<string>();
  const orders = new Set<number>();
  command.stages.forEach((input: StageInput, i) => {
    const at = `stages.${i}`;
    const code = normaliseStageCode(input.code);
    const name = input.name.trim();
    const order = input.order ?? i + 1;
    if (!STAGE_CODE_PATTERN.test(code)) issue(`${at}.code`, 'must be letters, digits and _ (1-64), starting with a letter');
    else if (codes.has(code)) issue(`${at}.code`, `duplicate stage code ${code}`);
    codes.add(code);
    if (!name || name.length > MAX_NAME) issue(`${at}.name`, `must be 1-${MAX_NAME} characters`);
    if (!Number.isInteger(order) || order < 0) issue(`${at}.order`, 'must be an integer ≥ 0');
    else if (orders.has(order)) issue(`${at}.order`, `duplicate order ${order}`);
    orders.add(order);
    if (!isProbability(input.probability)) issue(`${at}.probability`, 'must be an integer from 0 to 100');
    else {
      const closed = closedProbabilityIssue(input.kind, input.probability);
      if (closed) issue(`${at}.probability`, closed);
    }
    if (!['open', 'won', 'lost'].includes(input.kind)) issue(`${at}.kind`, 'must be open, won or lost');
    stages.push({ code, name, order, probability: input.probability, kind: input.kind });
  });
  stages.sort((a, b) => a.order - b.order);
  for (const kind of ['open', 'won', 'lost'] as const) {
    if (command.stages.length > 0 && !stages.some((s) => s.kind === kind)) issue('stages', `at least one ${kind} stage is required`);
  }

  const byCode = new Map(stages.map((s) => [s.code, s]));
  const rank = new Map(stages.map((s, i) => [s.code, i]));

  // Aliases first: transitions may name stages by alias, like every other input.
  const aliases: Record<string, string> = {};
  for (const [rawAlias, rawTarget] of Object.entries(command.aliases ?? {})) {
    const alias = normaliseStageCode(rawAlias);
    const target = normaliseStageCode(rawTarget);
    const at = `aliases.${rawAlias}`;
    if (!STAGE_CODE_PATTERN.test(alias)) issue(at, 'an alias must be letters, digits and _ (1-64), starting with a letter');
    else if (byCode.has(alias)) issue(at, `${alias} is a stage code; an alias must differ from every code`);
    else if (alias in aliases) issue(at, `duplicate alias ${alias}`);
    else if (!byCode.has(target)) issue(at, `unknown stage ${rawTarget}`);
    else aliases[alias] = target;
  }
  const resolve = (input: string) => {
    const code = normaliseStageCode(input);
    return aliases[code] ?? code;
  };

  const given = new Map<string, string[]>();
  for (const [rawFrom, rawTargets] of Object.entries(command.transitions ?? {})) {
    const at = `transitions.${rawFrom}`;
    const from = byCode.get(resolve(rawFrom));
    if (!from) {
      issue(at, `unknown stage ${rawFrom}`);
      continue;
    }
    if (given.has(from.code)) {
      issue(at, `transitions of ${from.code} are given twice`);
      continue;
    }
    const targets: string[] = [];
    for (const rawTarget of rawTargets) {
      const target = resolve(rawTarget);
      if (!byCode.has(target)) issue(at, `unknown stage ${rawTarget}`);
      else if (target === from.code) issue(at, `${from.code} cannot list itself: staying in a stage is always allowed`);
      else if (!targets.includes(target)) targets.push(target);
    }
    if (from.kind !== 'open' && targets.length > 0) issue(at, `no transitions out of the ${from.kind} stage ${from.code}: a closed opportunity never moves`);
    given.set(from.code, targets);
  }

  const transitions: Record<string, string[]> = {};
  for (const s of stages) {
    const targets = s.kind === 'open' ? (given.get(s.code) ?? stages.filter((t) => t.code !== s.code).map((t) => t.code)) : [];
    transitions[s.code] = [...targets].sort((a, b) => rank.get(a)! - rank.get(b)!);
  }

  // Every open stage must lead to a close, or its opportunities could never be closed.
  if (issues.length === 0) {
    for (const s of stages.filter((x) => x.kind === 'open')) {
      const seen = new Set([s.code]);
      const queue = [s.code];
      let closes = false;
      while (queue.length && !closes) {
        for (const next of transitions[queue.shift()!] ?? []) {
          if (byCode.get(next)?.kind !== 'open') closes = true;
          else if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      if (!closes) issue(`transitions.${s.code}`, `no path from ${s.code} to a won or lost stage`);
    }
  }

  if (issues.length) throw validation('Invalid stage configuration', { fields: issues });
  const sortedAliases = Object.fromEntries(Object.entries(aliases).sort(([a], [b]) => a.localeCompare(b)));
  return { stages, transitions, aliases: sortedAliases };
}

/** Field by field: a set read back from the store may have its JSON keys in another order (jsonb). */
function canonical(set: StageSet): string {
  return JSON.stringify([
    set.stages.map((s) => [s.code, s.name, s.order, s.probability, s.kind]),
    set.stages.map((s) => set.transitions[s.code] ?? []),
    Object.entries(set.aliases).sort(([a], [b]) => a.localeCompare(b)),
  ]);
}
const sameSet = (a: StageSet, b: StageSet) => canonical(a) === canonical(b);

const configured = (set: StageSet): PipelineStagesConfigured => ({
  type: 'PipelineStagesConfiguredEvent',
  data: {
    stages: set.stages.map((s) => ({ ...s })),
    transitions: Object.fromEntries(Object.entries(set.transitions).map(([k, v]) => [k, [...v]])),
    aliases: { ...set.aliases },
  },
});

function decide(command: PipelineStageCommand, state: PipelineStageState): PipelineStageEvent[] {
  switch (command.type) {
    case 'ConfigureStages': {
      const set = validateStageSet(command);
      // Configuring the defaults explicitly is recorded: it pins the tenant's set against a
      // later change of the code's defaults. Re-sending the configured set changes nothing.
      if (state.configured && sameSet(set, state.set)) return [];
      return [configured(set)];
    }

    case 'UpdateStage': {
      const stage = findStage(state.set, command.stage);
      if (!stage) throw notFound(`Unknown stage "${command.stage}"`, { stage: command.stage });
      const issues: Issue[] = [];
      const name = command.name?.trim();
      if (name !== undefined && (!name || name.length > MAX_NAME)) issues.push({ field: 'name', message: `must be 1-${MAX_NAME} characters` });
      if (command.probability !== undefined) {
        if (!isProbability(command.probability)) issues.push({ field: 'probability', message: 'must be an integer from 0 to 100' });
        else {
          const closed = closedProbabilityIssue(stage.kind, command.probability);
          if (closed) issues.push({ field: 'probability', message: closed });
        }
      }
      if (issues.length) throw validation('Invalid stage update', { fields: issues });

      const data: PipelineStageUpdated['data'] = { stageCode: stage.code, changedFields: [] };
      if (name !== undefined && name !== stage.name) {
        data.name = name;
        data.changedFields.push('name');
      }
      if (command.probability !== undefined && command.probability !== stage.probability) {
        data.probability = command.probability;
        data.changedFields.push('probability');
      }
      if (data.changedFields.length === 0) return [];
      const updated: PipelineStageUpdated = { type: 'PipelineStageUpdatedEvent', data };
      // The first change of a never-configured tenant records the defaults it starts from, so
      // that the stream alone (not the code's defaults of the day) determines the set.
      return state.configured ? [updated] : [configured(state.set), updated];
    }
  }
}

function evolve(state: PipelineStageState, event: PipelineStageEvent): PipelineStageState {
  switch (event.type) {
    case 'PipelineStagesConfiguredEvent':
      return { configured: true, set: { stages: event.data.stages, transitions: event.data.transitions, aliases: event.data.aliases } };
    case 'PipelineStageUpdatedEvent': {
      const d = event.data;
      const stages = state.set.stages.map((s) =>
        s.code === d.stageCode ? { ...s, name: d.name ?? s.name, probability: d.probability ?? s.probability } : s,
      );
      return { ...state, set: { ...state.set, stages } };
    }
  }
}

export const pipelineStageDecider: Decider<PipelineStageCommand, PipelineStageEvent, PipelineStageState> = {
  initialState: { configured: false, set: DEFAULT_STAGE_SET },
  evolve,
  decide,
};
