import { expect } from 'chai';
import net from 'node:net';
import { appPerSuite } from '../support/app.js';
import { sleep } from '../support/service.js';

/** A raw HTTP/1.1 connection: what the server sends, and whether (and when) it closed it. */
function connection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const state = { received: '', closed: false };
  socket.on('data', (d: Buffer) => (state.received += d.toString()));
  socket.on('end', () => (state.closed = true));
  socket.on('error', () => (state.closed = true));
  const responses = () => (state.received.match(/HTTP\/1\.1 200/g) ?? []).length;
  return {
    state,
    responses,
    async get(path: string) {
      const before = responses();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      for (let i = 0; i < 100 && responses() === before && !state.closed; i++) await sleep(20);
    },
    close: () => socket.destroy(),
  };
}

describe('HTTP keep-alive', () => {
  describe('by default', () => {
    const suite = appPerSuite();

    it('announces 65 s, and a connection idle past Node\'s default of 5 s still serves the next request', async function () {
      this.timeout(20_000);
      const c = connection(suite.app.url);
      try {
        await c.get('/health/live');
        expect(c.state.received).to.match(/Keep-Alive: timeout=65\r\n/);
        await sleep(5_500);
        expect(c.state.closed, 'closed by the service while idle').to.equal(false);
        await c.get('/health/live');
        expect(c.responses()).to.equal(2);
      } finally {
        c.close();
      }
    });
  });

  describe('with HTTP_KEEP_ALIVE_TIMEOUT_MS', () => {
    const suite = appPerSuite({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });

    it('keeps an idle connection for that long, then closes it', async function () {
      this.timeout(20_000);
      const c = connection(suite.app.url);
      try {
        await c.get('/health/live');
        expect(c.state.received).to.match(/Keep-Alive: timeout=1\r\n/);
        await sleep(300);
        await c.get('/health/live');
        expect(c.responses(), 'reused within the timeout').to.equal(2);
        for (let i = 0; i < 100 && !c.state.closed; i++) await sleep(50);
        expect(c.state.closed, 'closed by the service once idle past the timeout').to.equal(true);
      } finally {
        c.close();
      }
    });
  });
});
