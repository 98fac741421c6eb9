import type { DomainEvent } from '../decider.js';

/** A sales territory (seed 004): a name, an owner, a region or a rule; active until deactivated. */
export type TerritoryCreated = DomainEvent<
  'TerritoryCreatedEvent',
  { territoryId: string; name: string; ownerId: string | null; region: string | null; rule: string | null }
>;
/** Only the fields that changed are present, with changedFields naming them. */
export type TerritoryUpdated = DomainEvent<
  'TerritoryUpdatedEvent',
  { territoryId: string; changedFields: string[]; name?: string; ownerId?: string | null; region?: string | null; rule?: string | null }
>;
export type TerritoryDeactivated = DomainEvent<'TerritoryDeactivatedEvent', { territoryId: string; reason: string | null }>;
export type TerritoryReactivated = DomainEvent<'TerritoryReactivatedEvent', { territoryId: string }>;

export type TerritoryEvent = TerritoryCreated | TerritoryUpdated | TerritoryDeactivated | TerritoryReactivated;

export const TERRITORY_EVENT_TYPES = [
  'TerritoryCreatedEvent',
  'TerritoryUpdatedEvent',
  'TerritoryDeactivatedEvent',
  'TerritoryReactivatedEvent',
] as const satisfies readonly TerritoryEvent['type'][];
