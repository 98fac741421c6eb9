import { workTypeDefs } from './workSchema.js';

/**
 * Seed 004's GraphQL schema, completed where the seed leaves types out (connections, inputs,
 * Account, User, Territory, Pipeline, Forecast). Deviations, on purpose:
 * - money is `Money`, an exact decimal string ("120000.00"); seed 004 says Float, which loses cents;
 * - `OpportunityStage` is a scalar (a stage code of the tenant's configured set, any case), not an
 *   enum: stages are configured per tenant;
 * - `Lead.email` is "" once the lead's personal data has been erased.
 */
const coreTypeDefs = /* GraphQL */ `
"""An exact decimal amount as a string, e.g. "120000.00" (never a float). Input: a string, or a number of at most 15 significant digits."""
scalar Money
"""An ISO-8601 instant, e.g. 2026-02-11T08:00:00.000Z."""
scalar DateTime
"""A calendar date, YYYY-MM-DD."""
scalar Date
"""A stage code of the tenant's stage set (any case), e.g. PROSPECTING or closed_won."""
scalar OpportunityStage

enum LeadStatus { NEW QUALIFIED UNQUALIFIED CONVERTED }
enum OpportunityStatus { OPEN WON LOST }
enum ForecastType { COMMIT BEST_CASE PIPELINE }

input DateRange { from: Date, to: Date }

type Query {
  leads(status: LeadStatus, assignedTo: ID, territoryId: ID, limit: Int, offset: Int): LeadConnection!
  opportunities(stage: OpportunityStage, ownerId: ID, expectedCloseDateRange: DateRange, limit: Int, offset: Int): OpportunityConnection!
  pipeline(ownerId: ID!, period: String!): Pipeline!
  """Up to 500 territories, by name."""
  territories(ownerId: ID, isActive: Boolean): [Territory!]!
}

type Mutation {
  createLead(input: CreateLeadInput!): Lead!
  convertLead(leadId: ID!, input: ConvertLeadInput!): Opportunity!
  createOpportunity(input: CreateOpportunityInput!): Opportunity!
  updateOpportunityStage(opportunityId: ID!, stage: OpportunityStage!): Opportunity!
  assignTerritory(input: AssignTerritoryInput!): TerritoryAssignment!
  createForecast(input: CreateForecastInput!): Forecast!
}

type PageInfo { total: Int!, limit: Int!, offset: Int!, hasMore: Boolean! }
type LeadConnection { nodes: [Lead!]!, totalCount: Int!, pageInfo: PageInfo! }
type OpportunityConnection { nodes: [Opportunity!]!, totalCount: Int!, pageInfo: PageInfo! }

"""A person; this service keeps no user directory, so only the id is known."""
type User { id: ID!, name: String }

"""The customer an opportunity is for (Customer 360's profile)."""
type Account { id: ID!, name: String, status: String, segment: String }

type Lead {
  id: ID!
  status: LeadStatus!
  firstName: String
  lastName: String
  email: String!
  phone: String
  company: String
  title: String
  score: Int
  assignedTo: User
  territory: Territory
  source: String!
  opportunityId: ID
  revision: String!
  createdAt: DateTime!
  updatedAt: DateTime!
}

type Opportunity {
  id: ID!
  name: String!
  account: Account!
  stage: OpportunityStage!
  status: OpportunityStatus!
  amount: Money
  currency: String!
  probability: Int
  expectedCloseDate: Date
  closeDate: Date
  nextStep: String
  owner: User!
  territory: Territory
  """0-100, the documented rubric (src/aggregates/opportunity/dealScore.ts)."""
  dealScore: Int
  revision: String!
  createdAt: DateTime!
  updatedAt: DateTime!
}

type Territory {
  id: ID!
  name: String!
  owner: User
  region: String
  rule: String
  isActive: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
}

type TerritoryAssignment {
  territoryId: ID!
  """Null when the id names no territory record (an assignment to a plain territory label)."""
  territory: Territory
  """Set when a lead was assigned."""
  lead: Lead
  """Set when an opportunity was assigned."""
  opportunity: Opportunity
}

type PipelineStageFigures { stage: String!, count: Int!, totalAmount: Money!, probability: Int, weightedAmount: Money! }
type PipelineSummary { totalCount: Int!, totalAmount: Money!, weightedAmount: Money! }
type Pipeline {
  period: String!
  periodStart: Date!
  periodEnd: Date!
  owner: User
  currency: String!
  summary: PipelineSummary!
  byStage: [PipelineStageFigures!]!
}

type Forecast {
  id: ID!
  owner: User!
  period: String!
  periodStart: Date!
  periodEnd: Date!
  territory: Territory
  forecastType: ForecastType!
  amount: Money!
  currency: String!
  notes: String
  status: String!
  """The pipeline the forecast measures, now; and how well it covers the amount."""
  currentPipeline: Money!
  pipelineCoverage: String
  revision: String!
  createdAt: DateTime!
  updatedAt: DateTime!
}

input CreateLeadInput {
  id: ID
  source: String!
  firstName: String
  lastName: String
  email: String!
  phone: String
  company: String
  title: String
  industry: String
  employeeCount: Int
  annualRevenue: Money
  currency: String
  """Marketing's own score; the service scores the lead itself."""
  score: Int
  assignedTo: ID
  territoryId: ID
}

input ConvertLeadInput {
  opportunityName: String
  amount: Money!
  currency: String
  expectedCloseDate: Date
  stage: OpportunityStage
  probability: Int
  """Attach to this customer; without it the conversion creates one."""
  customerId: ID
}

input CreateOpportunityInput {
  id: ID
  name: String
  accountId: ID!
  leadId: ID
  territoryId: ID
  stage: OpportunityStage
  amount: Money!
  currency: String
  expectedCloseDate: Date
  probability: Int
  ownerId: ID
}

"""A lead (with its new owner, default the caller) or an opportunity, to a territory."""
input AssignTerritoryInput {
  territoryId: ID!
  leadId: ID
  opportunityId: ID
  assignedTo: ID
  reason: String
}

input CreateForecastInput {
  id: ID
  period: String!
  forecastType: ForecastType!
  amount: Money!
  currency: String
  territoryId: ID
  ownerId: ID
  notes: String
}
`;

/** The whole schema: the seed's types, and the activities and tasks of seed 003 (workSchema.ts). */
export const typeDefs = [coreTypeDefs, workTypeDefs];
