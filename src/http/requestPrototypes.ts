import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * The classes the server builds its requests and responses with, and a way to give them an
 * Express app's prototypes. Express sets every request's and response's prototype to its app's
 * (Object.setPrototypeOf in app.handle). On Node 20 (V8 11) objects whose prototype is swapped
 * after construction outlive the young generation: in a bare Express server a third of what a
 * request allocates was kept by each scavenge and promoted, left for major GCs (issue 14;
 * docs/performance.md, twentieth round). Built with the app's prototypes from the start, the
 * swap finds them in place and does nothing. Node 24 does not need it; it costs it nothing.
 */
export interface RequestClasses {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse<IncomingMessage>;
  /** Requests and responses built from now on have `app`'s prototypes. One app per server. */
  adopt(app: Express): void;
}

export function requestClasses(): RequestClasses {
  // Classes, not functions given a prototype: on Node 20 those are kept too (7.5 % against 0.4 %).
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
