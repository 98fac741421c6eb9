import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';

/** Configuration is validated once, with errors that name the variable. */
describe('configuration', () => {
  it('runs on embedded defaults with nothing set: port 9402, loopback only with the development secret', () => {
    const c = loadConfig({});
    expect(c.PORT).to.equal(9402);
    expect(c.HOST).to.equal('127.0.0.1');
    expect(c.usingDevJwtSecret).to.equal(true);
    expect(c.DATABASE_URL).to.equal(undefined);
    expect(c.kafkaTopics.published.OpportunityCreatedEvent.topic).to.equal('crm.pipeline.opportunity.created');
  });

  it('listens on every interface once a real secret is set', () => {
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40) }).HOST).to.equal('0.0.0.0');
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(40), HOST: '10.1.2.3' }).HOST).to.equal('10.1.2.3');
  });

  it('refuses the development secret on a public interface, and names every bad variable', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).to.throw(ConfigError, /HOST.*JWT_SECRET/);
    try {
      loadConfig({ PORT: 'ninety', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', KAFKA_BROKERS: 'nohostport' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'KAFKA_BROKERS']) expect((err as Error).message).to.contain(name);
    }
    expect(() => loadConfig({ KAFKA_TOPIC_NOTHING: 'x' })).to.throw(ConfigError, /KAFKA_TOPIC_NOTHING/);
  });

  it('renames topics with KAFKA_TOPIC_* and treats empty variables as unset', () => {
    const c = loadConfig({ KAFKA_TOPIC_QUOTE_CREATED: 'sales.quotes.v2', PORT: '' });
    expect(c.kafkaTopics.inbound.QuoteCreatedEvent.topic).to.equal('sales.quotes.v2');
    expect(c.PORT).to.equal(9402);
  });
});
