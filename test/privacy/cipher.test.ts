import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { open, seal, subjectKey } from '../../src/privacy/cipher.js';
import { localKeyWrapper } from '../../src/privacy/keyWrapper.js';
import { ERASED_FORM, mapUnits, unitsOf } from '../../src/privacy/units.js';

describe('Privacy: sealing a unit (AES-256-GCM per subject)', () => {
  const key = subjectKey(randomBytes(32));
  const at = { tenantId: 't1', subject: 's1', where: 'lead-t1:L1\ne1' };
  const person = { firstName: 'Erika', email: 'erika@example.org' };

  it('opens what it sealed, and the same write seals to the same bytes (a retried append is a repeat)', () => {
    const sealed = seal(key, at, person);
    expect(open(key, 't1', sealed)).to.deep.equal(person);
    expect(seal(key, at, person)).to.deep.equal(sealed);
    expect(seal(key, { ...at, where: 'lead-t1:L1\ne2' }, person).iv, 'another event, another IV').not.to.equal(sealed.iv);
    expect(JSON.stringify(sealed)).not.to.include('Erika');
  });

  it('refuses another key, another tenant, or altered bytes', () => {
    const sealed = seal(key, at, person);
    expect(() => open(subjectKey(randomBytes(32)), 't1', sealed)).to.throw();
    expect(() => open(key, 't2', sealed), 'the tenant is authenticated').to.throw();
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] = ct[0]! ^ 1;
    expect(() => open(key, 't1', { ...sealed, ct: ct.toString('base64') })).to.throw();
  });

  it('wraps subject keys under a master key (the KMS seam), and refuses to unwrap without it', async () => {
    const wrapper = localKeyWrapper(randomBytes(32));
    const material = randomBytes(32);
    const wrapped = await wrapper.wrap(material);
    expect(wrapped.equals(material)).to.equal(false);
    expect((await wrapper.unwrap(wrapped, wrapper.name)).equals(material)).to.equal(true);
    await localKeyWrapper(undefined)
      .unwrap(wrapped, wrapper.name)
      .then(
        () => expect.fail('unwrapped without the master key'),
        (err: Error) => expect(err.message).to.match(/PRIVACY_MASTER_KEY/),
      );
  });
});

describe('Privacy: where personal data sits (units.ts)', () => {
  it("finds each of a deal's contacts as a unit of its own, and leaves the rest of the payload alone", async () => {
    const data = { opportunityId: 'O1', personalData: { contacts: [{ type: 'primary', name: 'A' }, { type: 'billing', name: 'B' }] }, paymentTerms: 'net_30' };
    expect((await unitsOf('OpportunityCommercialTermsSetEvent', data)).map((u) => u.unit.name)).to.deep.equal(['A', 'B']);
    const erased = await mapUnits('OpportunityCommercialTermsSetEvent', data, async (u) => ({ type: u.type!, ...ERASED_FORM.contact }));
    expect(erased).to.deep.equal({ opportunityId: 'O1', personalData: { contacts: [{ type: 'primary', ...ERASED_FORM.contact }, { type: 'billing', ...ERASED_FORM.contact }] }, paymentTerms: 'net_30' });
    expect(data.personalData.contacts[0]!.name, 'not mutated').to.equal('A');
    expect(await unitsOf('OpportunityStageChangedEvent', data)).to.deep.equal([]);
    expect(await unitsOf('CustomerProfileCreatedEvent', { personalData: null })).to.deep.equal([]);
  });
});
