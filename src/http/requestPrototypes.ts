import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * The classes the server builds its requests and responses with, and a way to give them an
 * Express app's prototypes. Express sets every request's and response's prototype to its app's
 * (Object.setPrototypeOf in app.handle). On Node 20 (V8 11) an object whose prototype is swapped
 * after construction outlives the young generation: a third of what a request allocates was
 * copied by the scavenger and promoted, then left for major GCs (issue 14; docs/performance.md,
 * twentieth round). Built with the app's prototypes from the start, the swap finds them in
 * place and does nothing. Node 24 does not need it; it costs it nothing either.
 */
export interface RequestClasses {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse<IncomingMessage>;
  /** Requests and responses built from now on have `app`'s prototypes. One app per server. */
  adopt(app: Express): void;
}

export function requestClasses(): RequestClasses {
  // Classes, not functions given a prototype: on Node 20 those cost as much as the swap.
  class Request extends IncomingMessage {}
  class Response extends ServerResponse {}
  let adopted: Express | undefined;
  return {
    IncomingMessage: Request,
    ServerResponse: Response,
    adopt(app) {
      if (adopted === app) return;
      if (adopted) throw new Error('these request classes already carry another app’s prototypes');
      adopted = app;
      // The app's own prototypes (its methods, req.app, res.app) stay in the chain, one step up.
      Object.setPrototypeOf(Request.prototype, app.request);
      Object.setPrototypeOf(Response.prototype, app.response);
      app.request = Request.prototype as unknown as Express['request'];
      app.response = Response.prototype as unknown as Express['response'];
    },
  };
}
