import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who a request is for, as every log line written while serving it says. Set by an early HTTP
 * middleware (request and correlation ids) and filled in after authentication (tenant, user);
 * the logger reads it through pino's mixin, so call sites pass nothing.
 */
export interface RequestContext {
  readonly request_id: string;
  readonly correlation_id: string;
  tenant_id?: string;
  user_id?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const currentRequest = (): RequestContext | undefined => storage.getStore();

/** Runs `f` inside `context`; callbacks and promises started in it see the same context. */
export function runInRequest<T>(context: RequestContext, f: () => T): T {
  return storage.run(context, f);
}
