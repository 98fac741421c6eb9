import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MissingToolError, startBroker } from '../../../scripts/kafka/broker.js';

describe('Kafka test broker prerequisites', () => {
  it('fails with one message naming what to install when Java is missing', async () => {
    const noJava = await mkdtemp(path.join(os.tmpdir(), 'no-java-'));
    const saved = process.env.JAVA_HOME;
    process.env.JAVA_HOME = noJava; // javaBin() then looks for <noJava>/bin/java, which is not there
    try {
      const err = await startBroker().then(
        () => expect.fail('startBroker should have failed'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(MissingToolError);
      const { message, stack } = err as MissingToolError;
      expect(message).to.match(/Java 17/).and.to.include('apt-get install openjdk-17-jre-headless maven');
      expect(stack, 'no stack trace to bury the message').to.not.match(/\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved;
      await rm(noJava, { recursive: true, force: true });
    }
  });
});
