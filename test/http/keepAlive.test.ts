import { expect } from 'chai';
import net from 'node:net';
import { appPerSuite, startTestApp } from '../support/app.js';
import { sleep } from '../support/service.js';

/** A raw HTTP/1.1 connection: what the server sent, and whether (and when) it closed it. */
function connection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const state = { received: '', closedAt: undefined as number | undefined };
  socket.on('data', (d: Buffer) => (state.received += d.toString()));
  const closed = () => (state.closedAt ??= Date.now());
  socket.on('end', closed);
  socket.on('error', closed);
  const responses = () => (state.received.match(/HTTP\/1\.1 200/g) ?? []).length;
  const answered = async (before: number) => {
    for (let i = 0; i < 250 && responses() === before && state.closedAt === undefined; i++) await sleep(20);
    if (responses() === before) throw new Error(`no answer; received: ${state.received.slice(-300)}`);
  };
  return {
    state,
    responses,
    /** One request, answered (or an error). */
    async get(path: string) {
      const before = responses();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      await answered(before);
    },
    /** A request whose headers are not finished yet: the connection is busy, not idle. */
    begin: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n`),
    async finish() {
      const before = responses();
      socket.write('\r\n');
      await answered(before);
    },
    async waitClosed(ms: number) {
      for (let i = 0; i < ms / 20 && state.closedAt === undefined; i++) await sleep(20);
    },
    close: () => socket.destroy(),
  };
}

describe('HTTP keep-alive', () => {
  describe('by default', () => {
    const suite = appPerSuite();

    it("announces 65 s, and a connection idle past Node's default (5 s, 6 s on Node 24) still serves the next request", async function () {
      this.timeout(20_000);
      const c = connection(suite.app.url);
      try {
        await c.get('/health/live');
        expect(c.state.received).to.match(/Keep-Alive: timeout=65\r\n/);
        await sleep(6_500);
        expect(c.state.closedAt, 'closed by the service while idle').to.equal(undefined);
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
        const answeredAt = Date.now();
        await c.waitClosed(5_000);
        expect(c.state.closedAt, 'closed by the service once idle past the timeout').to.be.a('number');
        expect(c.state.closedAt! - answeredAt, 'not before the timeout').to.be.at.least(900);
      } finally {
        c.close();
      }
    });
  });

  it('stopping does not wait out the keep-alive: a request under way is answered with Connection: close', async function () {
    this.timeout(20_000); // without this, stop() waits 65 s for the connection below
    const app = await startTestApp();
    const idle = connection(app.url);
    const busy = connection(app.url);
    let stopped: Promise<void> | undefined;
    try {
      await idle.get('/health/live');
      busy.begin('/health/live');
      await sleep(100);
      stopped = app.stop();
      await idle.waitClosed(2_000);
      expect(idle.state.closedAt, 'an idle connection is closed at once').to.be.a('number');
      await busy.finish();
      expect(busy.state.received).to.match(/Connection: close\r\n/);
      await stopped;
      expect(busy.state.closedAt, 'closed after its answer').to.be.a('number');
    } finally {
      idle.close();
      busy.close();
      await (stopped ?? app.stop());
    }
  });
});
