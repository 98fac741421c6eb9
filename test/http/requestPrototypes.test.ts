import { expect } from 'chai';
import express, { type Express } from 'express';
import type { AddressInfo } from 'node:net';
import { type RequestClasses, requestClasses } from '../../src/http/requestPrototypes.js';
import { closableServer } from '../../src/http/server.js';

/**
 * The server builds requests and responses with the app's prototypes, so Express's per-request
 * prototype swap has nothing to do (requestPrototypes.ts), and Express works as before.
 */
describe('HTTP server: requests built with the Express app’s prototypes', () => {
  function app(classes: RequestClasses): Express {
    const a = express();
    a.set('trust proxy', 1);
    a.get('/who', (req, res) => {
      res.json({
        request: req.constructor === classes.IncomingMessage,
        response: res.constructor === classes.ServerResponse,
        app: req.app === a && res.app === a,
        ip: req.ip,
        header: req.get('x-probe'),
      });
    });
    return a;
  }

  async function ask(handler: Express, classes: RequestClasses) {
    const { server, close } = closableServer(handler, 1000, classes);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/who`, { headers: { 'x-probe': 'p', 'x-forwarded-for': '203.0.113.7' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } finally {
      await close();
    }
  }

  it('keeps the server’s classes (no swap) and Express’s own behaviour: req.app, req.ip behind a proxy, req.get, res.json', async () => {
    const classes = requestClasses();
    const a = app(classes);
    classes.adopt(a);
    expect(await ask(a, classes)).to.deep.equal({ status: 200, body: { request: true, response: true, app: true, ip: '203.0.113.7', header: 'p' } });
  });

  it('without adopt() Express swaps the prototypes itself, and still answers', async () => {
    const classes = requestClasses();
    const { body } = await ask(app(classes), classes);
    expect(body).to.include({ request: false, response: false, app: true, ip: '203.0.113.7' });
  });

  it('refuses a second app: its requests would carry the first app’s settings', () => {
    const classes = requestClasses();
    const first = app(classes);
    classes.adopt(first);
    classes.adopt(first);
    expect(() => classes.adopt(app(classes))).to.throw(/another app/);
  });
});
