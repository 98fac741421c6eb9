import { expect } from 'chai';
import { runtimeAdvice } from '../../src/shared/runtime.js';

describe('runtimeAdvice', () => {
  it('advises Node 24 on Node 20 and older, naming the version and how to get 24', () => {
    for (const v of ['v20.20.2', 'v20.19.4', 'v18.0.0']) {
      const advice = runtimeAdvice(v);
      expect(advice, v).to.include(v).and.include('end of life').and.include('scripts/node24.sh');
    }
  });

  it('is silent on Node 22 and later, and on a version it cannot read', () => {
    for (const v of ['v22.18.0', 'v24.22.3', 'v26.0.0', 'nightly', '']) expect(runtimeAdvice(v), v).to.equal(undefined);
  });
});
