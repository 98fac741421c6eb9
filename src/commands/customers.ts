import type { Amount } from '../shared/money.js';
import {
  type CustomerProfileState,
  type PersonalData,
  type PersonalDataPatch,
  customerProfileAggregate,
} from '../aggregates/customerProfile/index.js';
import { type AppContext, type Caller, on, unconditional } from './context.js';
import type { CommandResult } from './handler.js';

/** Customer 360 use cases: profiles, consents, and the merge saga. */
export type CustomerResult = CommandResult<CustomerProfileState>;

export interface CreateCustomerInput {
  readonly customerId: string;
  readonly name: string;
  readonly status?: string;
  readonly primaryContactId?: string;
  readonly segment?: string;
  readonly personalData?: PersonalData;
  readonly industry?: string;
  readonly employeeCount?: number;
  readonly annualRevenue?: Amount;
}

export const createCustomer = (app: AppContext, caller: Caller, input: CreateCustomerInput): Promise<CustomerResult> =>
  app.execute(customerProfileAggregate, on(caller, input.customerId), { type: 'CreateCustomerProfile', ...input });

export interface UpdateCustomerInput {
  readonly customerId: string;
  readonly name?: string;
  readonly status?: string;
  readonly primaryContactId?: string | null;
  readonly segment?: string;
  readonly personalData?: PersonalDataPatch | null;
  readonly industry?: string | null;
  readonly employeeCount?: number | null;
  readonly annualRevenue?: Amount | null;
}

export const updateCustomer = (app: AppContext, caller: Caller, { customerId, ...input }: UpdateCustomerInput): Promise<CustomerResult> =>
  app.execute(customerProfileAggregate, on(caller, customerId), { type: 'UpdateCustomerProfile', ...input });

export interface UpdateConsentInput {
  readonly customerId: string;
  readonly consentType: string;
  readonly status: string;
  readonly source?: string;
}

export const updateConsent = (app: AppContext, caller: Caller, { customerId, ...input }: UpdateConsentInput): Promise<CustomerResult> =>
  app.execute(customerProfileAggregate, on(caller, customerId), { type: 'UpdateConsent', ...input });

/**
 * Merges the source profile into the target (the golden record). Two streams, so three steps,
 * each safe to repeat: check that the target can accept (the caller's If-Match applies to it,
 * before anything is written), mark the source merged into the target (the point of no return),
 * let the target record the source. A retry after a crash between the last two finds the source
 * marked already and completes. Merges of one tenant run one at a time: two opposite merges
 * checked side by side would each pass and leave both profiles merged away. The lock is
 * transaction-scoped and the transaction writes nothing (it takes no transaction id).
 */
export async function mergeCustomers(
  app: AppContext,
  caller: Caller,
  input: { targetCustomerId: string; sourceCustomerId: string; reason: string },
): Promise<CustomerResult> {
  const { targetCustomerId, sourceCustomerId, reason } = input;
  return app.db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`merge:${caller.access.tenantId}`]);
    await app.execute(customerProfileAggregate, on(caller, targetCustomerId), { type: 'CheckMergeTarget', sourceCustomerId });
    const steps = unconditional(caller);
    await app.execute(customerProfileAggregate, on(steps, sourceCustomerId), { type: 'MarkMergedInto', targetCustomerId, mergeReason: reason });
    return app.execute(customerProfileAggregate, on(steps, targetCustomerId), { type: 'AcceptMerge', sourceCustomerId, mergeReason: reason });
  });
}
