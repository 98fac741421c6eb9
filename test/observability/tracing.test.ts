import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extractTraceContext, injectTraceHeaders, withSpan } from '../../src/observability/tracing.js';
import { type TestApp, startTestApp } from '../support/app.js';

interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
}

/** A real OTLP/HTTP receiver on loopback: keeps every span and resource the exporter posts as JSON. */
async function otlpReceiver() {
  const spans: ExportedSpan[] = [];
  const services: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && /json/.test(req.headers['content-type'] ?? '')) {
        const payload = JSON.parse(body) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: ExportedSpan[] }[] }[];
        };
        for (const rs of payload.resourceSpans) {
          services.push(...rs.resource.attributes.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue ?? ''));
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, services, close: () => new Promise((r) => server.close(r)) };
}

describe('Observability: traces over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let app: TestApp | undefined;
  before(async function () {
    this.timeout(60_000);
    receiver = await otlpReceiver();
    app = await startTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'crm-traced' });
  });
  after(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('one request is HTTP → command → append → projection, continuing the caller’s traceparent; Kafka headers carry the context', async function () {
    this.timeout(30_000);
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await app!.request('POST', '/api/v1/opportunities', {
      body: { id: 'TRACE-1', customer_id: 'C-1', amount: '5.00' },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const read = await app!.request('GET', `/api/v1/opportunities/TRACE-1?min_position=${res.body.position}`);
    expect(read.status).to.equal(200);

    // What a producer injects, a consumer extracts: one trace across the broker.
    const { produced, consumed } = await withSpan('kafka publish', {}, async (producer) => {
      const headers = injectTraceHeaders({ eventType: 'Tested' });
      expect(headers.eventType).to.equal('Tested');
      expect(headers.traceparent).to.include(producer.spanContext().spanId);
      const consumer = await withSpan('kafka consume', {}, async (span) => span.spanContext(), { parent: extractTraceContext(headers) });
      return { produced: producer.spanContext(), consumed: consumer };
    });

    await app!.stop(); // flushes the batch processor
    app = undefined;
    const trace = receiver.spans.filter((s) => s.traceId === traceId);
    const server = trace.find((s) => s.name === 'POST /api/v1/opportunities');
    expect(server, `spans: ${JSON.stringify(receiver.spans.map((s) => s.name))}`).to.not.equal(undefined);
    expect(server!.parentSpanId).to.equal(callerSpan);
    const command = trace.find((s) => s.name === 'command CreateOpportunity');
    expect(command?.parentSpanId).to.equal(server!.spanId);
    const append = trace.find((s) => s.name === 'eventstore append');
    expect(append?.parentSpanId).to.equal(command!.spanId);
    expect(receiver.services).to.include('crm-traced');
    // Across the log: the projection's batch continues the trace of the command that wrote it.
    const projected = trace.find((s) => s.name === 'opportunities handle');
    expect(projected?.parentSpanId, `spans: ${JSON.stringify(trace.map((s) => s.name))}`).to.equal(command!.spanId);

    expect(consumed.traceId).to.equal(produced.traceId);
    const consumer = receiver.spans.find((s) => s.spanId === consumed.spanId);
    expect(consumer?.parentSpanId).to.equal(produced.spanId);
  });
});
