/** Team directory commands; user ids are the ids tokens carry (`sub`) or `apikey:<id>`. */
export type TeamCommand =
  | { type: 'CreateTeam'; teamId: string; name: string; managerId?: string; memberIds?: readonly string[] }
  /** Only what changes is recorded; managerId null: the team has no manager for now. */
  | { type: 'UpdateTeam'; name?: string; managerId?: string | null }
  | { type: 'AddTeamMember'; userId: string }
  | { type: 'RemoveTeamMember'; userId: string }
  | { type: 'DisbandTeam'; reason?: string };
