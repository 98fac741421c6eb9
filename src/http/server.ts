import { type RequestListener, type Server, type ServerResponse, createServer } from 'node:http';
import type { RequestClasses } from './requestPrototypes.js';

/**
 * The HTTP server, and how it closes. Idle keep-alive connections stay open `keepAliveMs`
 * (HTTP_KEEP_ALIVE_TIMEOUT_MS: longer than a proxy's or client's own idle timeout, so that they
 * give a connection up first). Closing must not wait that long: server.close() drops the idle
 * connections, and a connection with a request under way is answered with `Connection: close`
 * (or, if its response had already started, dropped once it is idle) instead of being kept alive.
 */
export function closableServer(
  listener: RequestListener,
  keepAliveMs: number,
  classes?: Pick<RequestClasses, 'IncomingMessage' | 'ServerResponse'>,
): { server: Server; close(): Promise<void> } {
  const open = new Set<ServerResponse>();
  let closing = false;
  const server = createServer(classes ? { IncomingMessage: classes.IncomingMessage, ServerResponse: classes.ServerResponse } : {}, (req, res) => {
    if (closing) res.shouldKeepAlive = false;
    else {
      open.add(res);
      res.once('close', () => open.delete(res));
    }
    listener(req, res);
  });
  server.keepAliveTimeout = keepAliveMs;
  const close = () =>
    new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      server.closeIdleConnections();
      for (const res of open) {
        if (!res.headersSent) res.shouldKeepAlive = false;
        else res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      }
    });
  return { server, close };
}
