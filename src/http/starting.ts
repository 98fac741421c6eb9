import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the port answers before the service can serve (connecting to PostgreSQL, migrating):
 * alive, not ready, and 503 with Retry-After for everything else. Listening this early lets
 * probes tell "starting" from "dead", and a long migration does not fail liveness.
 */
export function startingResponder(phase: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(status === 503 ? { 'Retry-After': '2' } : {}) });
      res.end(JSON.stringify(body));
    };
    if (path === '/health/live') return send(200, { status: 'alive' });
    if (path === '/health/ready') return send(503, { status: 'not ready', reason: `starting: ${phase()}` });
    const message = `The service is starting (${phase()}); retry shortly`;
    send(503, {
      error: { code: 'SERVICE_UNAVAILABLE', message, details: { retry_after_seconds: 2 }, request_id: randomUUID(), timestamp: new Date().toISOString() },
    });
  };
}
