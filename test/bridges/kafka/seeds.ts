/**
 * Verbatim excerpts of the product documents (the seeds), so the tests hold the code to them
 * without depending on where the seed files live. Copied from seeds 000_97ca3afe7b13e3c9.txt
 * (Pipeline) and 001_353432518910abe3.txt (Customer 360): the example event, the Avro schemas
 * and the Kafka topic tables.
 */

/** seed 000, "OpportunityCreatedEvent" example. */
export const SEED_000_OPPORTUNITY_CREATED = `{
  "eventType": "OpportunityCreatedEvent",
  "eventId": "evt-4201",
  "timestamp": "2026-02-02T11:10:00Z",
  "aggregateId": "OPP-100",
  "tenantId": "tenant-001",
  "payload": {
    "opportunityId": "OPP-100",
    "customerId": "CUST-100",
    "amount": 120000.00,
    "currency": "USD",
    "stage": "QUALIFICATION"
  }
}`;

/** seed 000 and 001, "Avro Schemas", in document order. */
export const SEED_SCHEMAS: readonly string[] = [
  `{
  "type": "record",
  "name": "OpportunityCreatedEvent",
  "namespace": "com.erp.crm.pipeline.events",
  "fields": [
    { "name": "eventId", "type": "string" },
    { "name": "timestamp", "type": "long", "logicalType": "timestamp-millis" },
    { "name": "tenantId", "type": "string" },
    { "name": "opportunityId", "type": "string" },
    { "name": "customerId", "type": "string" },
    { "name": "amount", "type": { "type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2 } },
    { "name": "currency", "type": "string" },
    { "name": "stage", "type": "string" }
  ]
}`,
  `{
  "type": "record",
  "name": "OpportunityClosedWonEvent",
  "namespace": "com.erp.crm.pipeline.events",
  "fields": [
    { "name": "eventId", "type": "string" },
    { "name": "timestamp", "type": "long", "logicalType": "timestamp-millis" },
    { "name": "tenantId", "type": "string" },
    { "name": "opportunityId", "type": "string" },
    { "name": "customerId", "type": "string" },
    { "name": "amount", "type": { "type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2 } },
    { "name": "currency", "type": "string" },
    { "name": "closeDate", "type": "string" }
  ]
}`,
  `{
  "type": "record",
  "name": "CustomerProfileCreatedEvent",
  "namespace": "com.erp.crm.customer360.events",
  "fields": [
    { "name": "eventId", "type": "string" },
    { "name": "timestamp", "type": "long", "logicalType": "timestamp-millis" },
    { "name": "tenantId", "type": "string" },
    { "name": "customerId", "type": "string" },
    { "name": "name", "type": "string" },
    { "name": "status", "type": "string" },
    { "name": "segment", "type": "string" }
  ]
}`,
  `{
  "type": "record",
  "name": "CustomerMergedEvent",
  "namespace": "com.erp.crm.customer360.events",
  "fields": [
    { "name": "eventId", "type": "string" },
    { "name": "timestamp", "type": "long", "logicalType": "timestamp-millis" },
    { "name": "tenantId", "type": "string" },
    { "name": "targetCustomerId", "type": "string" },
    { "name": "sourceCustomerId", "type": "string" },
    { "name": "mergeReason", "type": "string" }
  ]
}`,
];

/** seed 000 and 001, "Kafka Topics": topic and partition count. */
export const SEED_TOPICS: readonly (readonly [string, number])[] = [
  ['crm.pipeline.opportunity.created', 6],
  ['crm.pipeline.opportunity.stage.changed', 6],
  ['crm.pipeline.opportunity.closed.won', 6],
  ['crm.pipeline.opportunity.closed.lost', 3],
  ['crm.pipeline.forecast.snapshot.created', 3],
  ['crm.customer360.profile.created', 6],
  ['crm.customer360.profile.updated', 6],
  ['crm.customer360.profile.merged', 6],
  ['crm.customer360.consent.updated', 3],
];
