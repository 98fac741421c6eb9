/**
 * Seed 003's activities and tasks in the GraphQL schema: their types, inputs, enums, and their
 * queries and mutations (extending schema.ts's Query and Mutation). Inputs are parsed by the REST
 * request schemas, results rendered from the REST DTOs (resolvers/query.ts, resolvers/mutation.ts).
 */
export const workTypeDefs = /* GraphQL */ `
extend type Query {
  """Activities (seed 003) the caller may see, newest first; overdue: planned and past due."""
  activities(ownerId: ID, relatedType: RelatedType, relatedId: ID, customerId: ID, status: ActivityStatus, type: ActivityType, priority: Priority, dueBefore: DateTime, dueAfter: DateTime, overdue: Boolean, limit: Int, offset: Int): ActivityConnection!
  """Tasks (seed 003) the caller may see, by due date; overdue: open and past due."""
  tasks(assignedTo: ID, relatedType: RelatedType, relatedId: ID, customerId: ID, status: TaskStatus, type: TaskType, priority: Priority, dueBefore: DateTime, dueAfter: DateTime, overdue: Boolean, limit: Int, offset: Int): TaskConnection!
}

extend type Mutation {
  createActivity(input: CreateActivityInput!): Activity!
  updateActivity(id: ID!, input: UpdateActivityInput!): Activity!
  completeActivity(id: ID!, completedDate: String, outcome: String): Activity!
  reopenActivity(id: ID!): Activity!
  cancelActivity(id: ID!, reason: String): Activity!
  reassignActivity(id: ID!, ownerId: ID!, reason: String): Activity!
  createTask(input: CreateTaskInput!): Task!
  updateTask(id: ID!, input: UpdateTaskInput!): Task!
  completeTask(id: ID!, note: String): Task!
  reopenTask(id: ID!, reason: String): Task!
  cancelTask(id: ID!, reason: String): Task!
  reassignTask(id: ID!, assignedTo: ID!, reason: String): Task!
}

enum ActivityType { CALL EMAIL MEETING NOTE DEMO OTHER }
enum ActivityStatus { PLANNED COMPLETED CANCELLED }
enum TaskType { FOLLOW_UP CALL EMAIL MEETING OTHER }
enum TaskStatus { OPEN COMPLETED CANCELLED }
enum Priority { LOW NORMAL HIGH URGENT }
enum RelatedType { LEAD OPPORTUNITY CUSTOMER }

"""What an activity or a task is about: one lead, opportunity or customer (seed 003's RelatedEntity)."""
type RelatedEntity { type: RelatedType!, id: ID! }
input RelatedEntityInput { type: RelatedType!, id: ID! }

type Activity {
  id: ID!
  type: ActivityType!
  subject: String!
  description: String
  relatedTo: RelatedEntity!
  owner: User!
  dueDate: DateTime
  completedDate: DateTime
  status: ActivityStatus!
  priority: Priority!
  overdue: Boolean!
  createdAt: DateTime
  updatedAt: DateTime
}

type Task {
  id: ID!
  title: String!
  description: String
  type: TaskType!
  assignedTo: User!
  relatedTo: RelatedEntity
  dueDate: DateTime!
  completedDate: DateTime
  status: TaskStatus!
  priority: Priority!
  overdue: Boolean!
  createdAt: DateTime
  updatedAt: DateTime
}

type ActivityConnection { nodes: [Activity!]!, totalCount: Int!, pageInfo: PageInfo! }
type TaskConnection { nodes: [Task!]!, totalCount: Int!, pageInfo: PageInfo! }

"""Dates are ISO-8601 instants or YYYY-MM-DD; completedDate logs an activity already done."""
input CreateActivityInput {
  id: ID
  type: ActivityType!
  subject: String!
  description: String
  relatedTo: RelatedEntityInput!
  ownerId: ID
  dueDate: String
  priority: Priority
  completedDate: String
}

"""Only the fields given change; a field given as null is left as it is."""
input UpdateActivityInput {
  type: ActivityType
  subject: String
  description: String
  relatedTo: RelatedEntityInput
  dueDate: String
  priority: Priority
}

"""dueDate: an ISO-8601 instant, or YYYY-MM-DD for the end of that day (UTC); not in the past. assignedTo defaults to the caller."""
input CreateTaskInput {
  id: ID
  title: String!
  description: String
  assignedTo: ID
  relatedTo: RelatedEntityInput
  dueDate: String!
  priority: Priority
  type: TaskType
}

"""Only the fields given change; a field given as null is left as it is."""
input UpdateTaskInput {
  title: String
  description: String
  relatedTo: RelatedEntityInput
  dueDate: String
  priority: Priority
  type: TaskType
}
`;
