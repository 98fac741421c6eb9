import { expect } from 'chai';
import { type GraphQLNamedType, type GraphQLSchema, buildClientSchema, getIntrospectionQuery, isEnumType, isInputObjectType, isObjectType, parse, Kind, type TypeNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { type TestApp, startTestApp } from '../support/app.js';

/**
 * Introspection, from a running service, against seed 004's schema (test/graphql/seed004.graphql,
 * copied from the seed): every type, field and argument the seed names is there with the seed's
 * type, but for the documented deviations.
 */
const DEVIATIONS: Record<string, string> = {
  // Money as an exact decimal string, not Float (Float loses cents).
  'Opportunity.amount': 'Money',
};

const printed = (t: TypeNode): string =>
  t.kind === Kind.NON_NULL_TYPE ? `${printed(t.type)}!` : t.kind === Kind.LIST_TYPE ? `[${printed(t.type)}]` : t.name.value;

describe('GraphQL API: introspection matches seed 004', function () {
  this.timeout(60_000);
  let app: TestApp;
  let schema: GraphQLSchema;

  before(async () => {
    app = await startTestApp();
    const res = await app.request('POST', '/graphql', { body: { query: getIntrospectionQuery() } });
    expect(res.status).to.equal(200);
    schema = buildClientSchema(res.body.data);
  });
  after(async () => app?.stop());

  it('has every seed type, field and argument with its type', () => {
    const seed = parse(readFileSync(new URL('./seed004.graphql', import.meta.url), 'utf8'));
    let checked = 0;
    for (const def of seed.definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
      const type: GraphQLNamedType | undefined = schema.getType(def.name.value);
      expect(type, def.name.value).to.satisfy(isObjectType);
      const fields = isObjectType(type) ? type.getFields() : {};
      for (const field of def.fields ?? []) {
        const at = `${def.name.value}.${field.name.value}`;
        const ours = fields[field.name.value];
        expect(ours, at).to.not.equal(undefined);
        expect(String(ours!.type), at).to.equal(DEVIATIONS[at] ?? printed(field.type));
        for (const arg of field.arguments ?? []) {
          const mine = ours!.args.find((a) => a.name === arg.name.value);
          expect(mine, `${at}(${arg.name.value})`).to.not.equal(undefined);
          expect(String(mine!.type), `${at}(${arg.name.value})`).to.equal(printed(arg.type));
          checked++;
        }
        checked++;
      }
    }
    expect(checked).to.be.above(50);
  });

  it('defines what the seed uses without defining it, with exact money and dates', () => {
    for (const name of ['LeadConnection', 'OpportunityConnection', 'Pipeline', 'Territory', 'TerritoryAssignment', 'Forecast', 'User', 'Account', 'DateRange']) {
      expect(schema.getType(name), name).to.not.equal(undefined);
    }
    for (const name of ['CreateLeadInput', 'ConvertLeadInput', 'CreateOpportunityInput', 'AssignTerritoryInput', 'CreateForecastInput']) {
      expect(schema.getType(name), name).to.satisfy(isInputObjectType);
    }
    const forecast = schema.getType('Forecast');
    expect(isObjectType(forecast) && String(forecast.getFields().amount!.type)).to.equal('Money!');
    const opportunity = schema.getType('Opportunity');
    expect(isObjectType(opportunity) && String(opportunity.getFields().expectedCloseDate!.type)).to.equal('Date');
    const status = schema.getType('LeadStatus');
    expect(isEnumType(status) && status.getValues().map((v) => v.name)).to.deep.equal(['NEW', 'QUALIFIED', 'UNQUALIFIED', 'CONVERTED']);
  });
});
