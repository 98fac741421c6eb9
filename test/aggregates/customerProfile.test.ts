import { givenWhenThen } from '../support/decider.js';
import { expect } from 'chai';
import {
  type CustomerProfileCommand,
  type CustomerProfileEvent,
  customerProfileAggregate,
  customerProfileDecider,
} from '../../src/aggregates/customerProfile/index.js';

/** Given events, when a command, then events or an error: the decider needs nothing else. */
const ctx = { now: new Date('2026-02-02T09:15:00Z'), actorId: 'user-200' };

const given = givenWhenThen(customerProfileDecider, ctx);

const acmeCreated: CustomerProfileEvent = {
  type: 'CustomerProfileCreatedEvent',
  data: {
    customerId: 'CUST-100',
    name: 'Acme Corp',
    status: 'ACTIVE',
    primaryContactId: 'CONT-10',
    segment: 'ENTERPRISE',
    personalData: null,
  },
};

const oldCreated: CustomerProfileEvent = {
  type: 'CustomerProfileCreatedEvent',
  data: { customerId: 'CUST-OLD', name: 'ACME Corporation', status: 'ACTIVE', primaryContactId: null, segment: 'UNSEGMENTED', personalData: null },
};

const oldMergedInto100: CustomerProfileEvent = {
  type: 'CustomerMergedIntoEvent',
  data: { sourceCustomerId: 'CUST-OLD', targetCustomerId: 'CUST-100', mergeReason: 'DUPLICATE' },
};

const merged100: CustomerProfileEvent = {
  type: 'CustomerMergedEvent',
  data: { targetCustomerId: 'CUST-100', sourceCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' },
};

describe('CustomerProfile decider', () => {
  it('is the aggregate of category customerProfile (no dash: EventStoreDB splits categories at the first one)', () => {
    expect(customerProfileAggregate.category).to.equal('customerProfile');
    expect(customerProfileAggregate.decider).to.equal(customerProfileDecider);
  });

  describe('CreateCustomerProfile', () => {
    it('records seed 001 CustomerProfileCreatedEvent', () => {
      given([])
        .when({ type: 'CreateCustomerProfile', customerId: 'CUST-100', name: 'Acme Corp', status: 'ACTIVE', primaryContactId: 'CONT-10', segment: 'ENTERPRISE' })
        .then([acmeCreated]);
    });

    it('defaults status to ACTIVE and segment to UNSEGMENTED (the seed Avro schema needs a segment)', () => {
      given([])
        .when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: '  Globex  ' })
        .then([
          {
            type: 'CustomerProfileCreatedEvent',
            data: { customerId: 'CUST-1', name: 'Globex', status: 'ACTIVE', primaryContactId: null, segment: 'UNSEGMENTED', personalData: null },
          },
        ]);
    });

    it('accepts status and segment in any case and normalises them', () => {
      const [event] = customerProfileDecider.decide(
        { type: 'CreateCustomerProfile', customerId: 'CUST-1', name: 'Globex', status: 'prospect', segment: 'mid-market' },
        customerProfileDecider.initialState,
        ctx,
      );
      expect(event?.data).to.include({ status: 'PROSPECT', segment: 'MID_MARKET' });
    });

    it('keeps the contact person in the one personalData sub-object, without empty values', () => {
      const [event] = customerProfileDecider.decide(
        {
          type: 'CreateCustomerProfile',
          customerId: 'CUST-1',
          name: 'Globex',
          personalData: { firstName: 'John', lastName: 'Doe', email: ' john.doe@example.com ', phone: '', address: { city: 'Berlin', line1: '' } },
        },
        customerProfileDecider.initialState,
        ctx,
      );
      expect(event?.data).to.deep.equal({
        customerId: 'CUST-1',
        name: 'Globex',
        status: 'ACTIVE',
        primaryContactId: null,
        segment: 'UNSEGMENTED',
        personalData: { firstName: 'John', lastName: 'Doe', email: 'john.doe@example.com', address: { city: 'Berlin' } },
      });
    });

    it('refuses an unknown status, a malformed segment and an empty name', () => {
      given([]).when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: 'X', status: 'DELETED' }).thenFails('VALIDATION_ERROR', /status/);
      given([]).when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: 'X', segment: '9 lives!' }).thenFails('VALIDATION_ERROR', /segment/);
      given([]).when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: '   ' }).thenFails('VALIDATION_ERROR', /name/);
      given([]).when({ type: 'CreateCustomerProfile', customerId: 'CUST-1', name: 'x'.repeat(201) }).thenFails('VALIDATION_ERROR', /name/);
    });

    it('refuses a second creation of the same customer', () => {
      given([acmeCreated]).when({ type: 'CreateCustomerProfile', customerId: 'CUST-100', name: 'Acme Corp' }).thenFails('CONFLICT', /already exists/);
    });
  });

  describe('UpdateCustomerProfile', () => {
    it('records only the fields that change, with their new values and the actor (seed 001 updatedBy)', () => {
      given([acmeCreated])
        .when({ type: 'UpdateCustomerProfile', name: 'Acme Corp', segment: 'smb', status: 'inactive' })
        .then([
          {
            type: 'CustomerProfileUpdatedEvent',
            data: { customerId: 'CUST-100', changedFields: ['status', 'segment'], updatedBy: 'user-200', status: 'INACTIVE', segment: 'SMB' },
          },
        ]);
    });

    it('records nothing when nothing changes', () => {
      given([acmeCreated]).when({ type: 'UpdateCustomerProfile', name: ' Acme Corp ', status: 'active', segment: 'Enterprise', primaryContactId: 'CONT-10' }).then([]);
    });

    it('clears the primary contact with null', () => {
      given([acmeCreated])
        .when({ type: 'UpdateCustomerProfile', primaryContactId: null })
        .then([
          {
            type: 'CustomerProfileUpdatedEvent',
            data: { customerId: 'CUST-100', changedFields: ['primaryContactId'], updatedBy: 'user-200', primaryContactId: null },
          },
        ]);
    });

    it('merge-patches personal data and records the whole new sub-object', () => {
      const withPerson: CustomerProfileEvent = {
        type: 'CustomerProfileCreatedEvent',
        data: { ...acmeCreated.data, personalData: { firstName: 'John', email: 'john@acme.test', address: { city: 'Berlin', country: 'DE' } } } as never,
      };
      given([withPerson])
        .when({ type: 'UpdateCustomerProfile', personalData: { email: null, phone: '+1-555-0100', address: { city: 'Munich', country: null } } })
        .then([
          {
            type: 'CustomerProfileUpdatedEvent',
            data: {
              customerId: 'CUST-100',
              changedFields: ['personalData'],
              updatedBy: 'user-200',
              personalData: { firstName: 'John', phone: '+1-555-0100', address: { city: 'Munich' } },
            },
          },
        ]);
      // The same values again: no change.
      given([withPerson]).when({ type: 'UpdateCustomerProfile', personalData: { firstName: 'John', address: { city: 'Berlin' } } }).then([]);
      // null as a whole erases the person.
      given([withPerson])
        .when({ type: 'UpdateCustomerProfile', personalData: null })
        .then([
          {
            type: 'CustomerProfileUpdatedEvent',
            data: { customerId: 'CUST-100', changedFields: ['personalData'], updatedBy: 'user-200', personalData: null },
          },
        ]);
    });

    it('refuses an unknown customer and invalid values', () => {
      given([]).when({ type: 'UpdateCustomerProfile', name: 'X' }).thenFails('NOT_FOUND');
      given([acmeCreated]).when({ type: 'UpdateCustomerProfile', status: 'gone' }).thenFails('VALIDATION_ERROR', /status/);
      given([acmeCreated]).when({ type: 'UpdateCustomerProfile', name: '' }).thenFails('VALIDATION_ERROR', /name/);
    });

    it('applies updates to the state', () => {
      const { state } = given([
        acmeCreated,
        { type: 'CustomerProfileUpdatedEvent', data: { customerId: 'CUST-100', changedFields: ['segment'], updatedBy: 'u', segment: 'SMB' } },
      ]);
      expect(state).to.include({ segment: 'SMB', name: 'Acme Corp', status: 'ACTIVE', primaryContactId: 'CONT-10' });
    });
  });

  describe('merge: MarkMergedInto on the source', () => {
    it('records CustomerMergedIntoEvent on the source', () => {
      given([oldCreated]).when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-100', mergeReason: 'DUPLICATE' }).then([oldMergedInto100]);
    });

    it('is a no-op when the source already points to the same target (a retry after a crash)', () => {
      given([oldCreated, oldMergedInto100]).when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-100', mergeReason: 'DUPLICATE' }).then([]);
    });

    it('refuses a source already merged into another target, naming it', () => {
      const err = given([oldCreated, oldMergedInto100])
        .when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-200', mergeReason: 'DUPLICATE' })
        .thenFails('CONFLICT', /merged into CUST-100/);
      expect(err.details).to.include({ merged_into: 'CUST-100' });
    });

    it('refuses a merge into itself, a missing source and an empty reason', () => {
      given([oldCreated]).when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' }).thenFails('VALIDATION_ERROR', /itself/);
      given([]).when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-100', mergeReason: 'DUPLICATE' }).thenFails('NOT_FOUND', /source/);
      given([oldCreated]).when({ type: 'MarkMergedInto', targetCustomerId: 'CUST-100', mergeReason: ' ' }).thenFails('VALIDATION_ERROR', /reason/);
    });
  });

  describe('merge: CheckMergeTarget and AcceptMerge on the target', () => {
    it('CheckMergeTarget records nothing when the target can accept', () => {
      given([acmeCreated]).when({ type: 'CheckMergeTarget', sourceCustomerId: 'CUST-OLD' }).then([]);
    });

    it('AcceptMerge records seed 001 CustomerMergedEvent on the target', () => {
      given([acmeCreated]).when({ type: 'AcceptMerge', sourceCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' }).then([merged100]);
    });

    it('AcceptMerge is a no-op when the target already records that source', () => {
      given([acmeCreated, merged100]).when({ type: 'AcceptMerge', sourceCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' }).then([]);
      expect(given([acmeCreated, merged100]).state).to.deep.include({ mergedFrom: ['CUST-OLD'] });
    });

    it('refuses a missing target, a merged target and the target itself as source', () => {
      for (const type of ['CheckMergeTarget', 'AcceptMerge'] as const) {
        const cmd = { type, sourceCustomerId: 'CUST-OLD', mergeReason: 'DUPLICATE' };
        given([]).when(cmd).thenFails('NOT_FOUND', /target/);
        given([oldCreated, oldMergedInto100])
          .when({ ...cmd, sourceCustomerId: 'CUST-9' })
          .thenFails('CONFLICT', /CUST-OLD was merged into CUST-100/);
        given([acmeCreated]).when({ ...cmd, sourceCustomerId: 'CUST-100' }).thenFails('VALIDATION_ERROR', /itself/);
      }
    });
  });

  describe('a merged source is closed', () => {
    const merged = [oldCreated, oldMergedInto100];
    const commands: CustomerProfileCommand[] = [
      { type: 'UpdateCustomerProfile', name: 'New name' },
      { type: 'UpdateConsent', consentType: 'EMAIL', status: 'GRANTED' },
      { type: 'AcceptMerge', sourceCustomerId: 'CUST-7', mergeReason: 'DUPLICATE' },
      { type: 'CreateCustomerProfile', customerId: 'CUST-OLD', name: 'Again' },
    ];
    for (const command of commands) {
      it(`refuses ${command.type} with CONFLICT naming the target`, () => {
        const err = given(merged).when(command).thenFails('CONFLICT');
        expect(err.details).to.include({ merged_into: 'CUST-100' });
      });
    }

    it('remembers its target in the state', () => {
      expect(given(merged).state).to.deep.include({ mergedInto: { targetCustomerId: 'CUST-100', mergeReason: 'DUPLICATE' } });
    });
  });

  describe('UpdateConsent', () => {
    const granted: CustomerProfileEvent = {
      type: 'ConsentUpdatedEvent',
      data: { customerId: 'CUST-100', consentType: 'EMAIL', status: 'GRANTED', previousStatus: null, source: null },
    };

    it('records seed 001 ConsentUpdatedEvent, type and status in any case', () => {
      given([acmeCreated]).when({ type: 'UpdateConsent', consentType: 'email', status: 'granted' }).then([granted]);
    });

    it('records a revocation with the previous status and the channel', () => {
      given([acmeCreated, granted])
        .when({ type: 'UpdateConsent', consentType: 'EMAIL', status: 'REVOKED', source: 'web form' })
        .then([
          {
            type: 'ConsentUpdatedEvent',
            data: { customerId: 'CUST-100', consentType: 'EMAIL', status: 'REVOKED', previousStatus: 'GRANTED', source: 'WEB_FORM' },
          },
        ]);
    });

    it('records nothing when the consent does not change', () => {
      given([acmeCreated, granted]).when({ type: 'UpdateConsent', consentType: 'Email', status: 'GRANTED' }).then([]);
    });

    it('records an explicit opt-out of a type never granted', () => {
      given([acmeCreated])
        .when({ type: 'UpdateConsent', consentType: 'third_party_sharing', status: 'REVOKED' })
        .then([
          {
            type: 'ConsentUpdatedEvent',
            data: { customerId: 'CUST-100', consentType: 'THIRD_PARTY_SHARING', status: 'REVOKED', previousStatus: null, source: null },
          },
        ]);
    });

    it('keeps consents per type in the state', () => {
      const { state } = given([
        acmeCreated,
        granted,
        { type: 'ConsentUpdatedEvent', data: { customerId: 'CUST-100', consentType: 'SMS', status: 'REVOKED', previousStatus: null, source: null } },
      ]);
      expect(state).to.deep.include({ consents: { EMAIL: 'GRANTED', SMS: 'REVOKED' } });
    });

    it('refuses an unknown status, a malformed type and a missing customer', () => {
      given([acmeCreated]).when({ type: 'UpdateConsent', consentType: 'EMAIL', status: 'MAYBE' }).thenFails('VALIDATION_ERROR', /GRANTED, REVOKED/);
      given([acmeCreated]).when({ type: 'UpdateConsent', consentType: 'e-mail!', status: 'GRANTED' }).thenFails('VALIDATION_ERROR', /consent_type/);
      given([]).when({ type: 'UpdateConsent', consentType: 'EMAIL', status: 'GRANTED' }).thenFails('NOT_FOUND');
    });
  });
});
