export type TerritoryCommand =
  | { type: 'CreateTerritory'; territoryId: string; name: string; ownerId?: string; region?: string; rule?: string }
  /** null clears an optional field. */
  | { type: 'UpdateTerritory'; name?: string; ownerId?: string | null; region?: string | null; rule?: string | null }
  | { type: 'DeactivateTerritory'; reason?: string }
  | { type: 'ReactivateTerritory' };
