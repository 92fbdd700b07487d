import { describe, expect, it } from 'vitest';
import { MASKED, maskPersonal, maskPersonalText, maskRawRecord } from './personal-data.js';

describe('personal data masking', () => {
  it('masks the values of personal fields at any depth, whatever their type, and leaves the rest', () => {
    const run = {
      workflowId: 'onb-1',
      definitionId: 'onboarding',
      input: { applicant: { applicantId: 'A1', full_name: 'Ada Lovelace', birthDate: '1815-12-10', documentType: 'passport', documentNumber: 'X123', address: { street: '1 Main St', city: 'London' } } },
      contacts: [{ phoneNumber: 447700900123, Email: 'ada@example.org' }],
      offer: { name: 'retain-10', price: 5 },
      relatedParty: [{ id: 'C1', name: 'Ada Lovelace', role: 'customer' }],
      missing: { birthDate: null },
    };
    const masked = maskPersonal(run) as typeof run;
    expect(masked.input.applicant).toEqual({ applicantId: 'A1', full_name: MASKED, birthDate: MASKED, documentType: 'passport', documentNumber: MASKED, address: { street: MASKED, city: MASKED } });
    expect(masked.contacts).toEqual([{ phoneNumber: MASKED, Email: MASKED }]);
    expect(masked.offer).toEqual({ name: 'retain-10', price: 5 });
    expect(masked.relatedParty).toEqual([{ id: 'C1', name: MASKED, role: 'customer' }]);
    expect(masked.missing).toEqual({ birthDate: null });
    // The answer given is untouched.
    expect(run.input.applicant.full_name).toBe('Ada Lovelace');
  });

  it("masks a TMF629 Customer's own name and its engaged party's, not another resource's name", () => {
    const customer = { id: 'C1', name: 'Ada Lovelace', engagedParty: { id: 'p-1', name: 'Ada Lovelace' }, contactMedium: [{ mediumType: 'email', preferred: true, characteristic: { emailAddress: 'ada@example.org' } }], '@type': 'TwinloopCustomer' };
    expect(maskPersonal([customer, { id: 'C2', name: 'Grace', '@baseType': 'Customer' }, { id: 'o', name: 'retain-10', '@type': 'TwinloopProductOffering' }])).toEqual([
      { id: 'C1', name: MASKED, engagedParty: { id: 'p-1', name: MASKED }, contactMedium: [{ mediumType: MASKED, preferred: true, characteristic: { emailAddress: MASKED } }], '@type': 'TwinloopCustomer' },
      { id: 'C2', name: MASKED, '@baseType': 'Customer' },
      { id: 'o', name: 'retain-10', '@type': 'TwinloopProductOffering' },
    ]);
  });

  it('keeps consent flags named like contact fields: a yes/no is not personal data', () => {
    const twin = { profile: { channelConsent: { sms: true, email: false, phone: true }, email: 'ada@example.org', contact: { email: true, phone: '+44 7700 900123' } } };
    expect(maskPersonal(twin)).toEqual({ profile: { channelConsent: { sms: true, email: false, phone: true }, email: MASKED, contact: { email: true, phone: MASKED } } });
  });

  it('masks personal values inside text: a parked record (even cut off) and e-mail addresses', () => {
    expect(maskPersonalText('{"type":"x","fullName": "Ada \\"the\\" Lovelace","birthDate":"1815-12-10","n":1}')).toBe(`{"type":"x","fullName":"${MASKED}","birthDate":"${MASKED}","n":1}`);
    expect(maskPersonalText('{"customerId":"C1","documentNumber":"X12')).toBe(`{"customerId":"C1","documentNumber":"${MASKED}"`);
    expect(maskPersonalText('write to ada@example.org today')).toBe(`write to ${MASKED} today`);
    expect(maskPersonalText('field customerId: expected a string')).toBe('field customerId: expected a string');
    expect(maskPersonal({ items: [{ record: '{"msisdn":447700900123}', reason: 'bad' }] })).toEqual({ items: [{ record: `{"msisdn":"${MASKED}"}`, reason: 'bad' }] });
  });

  it('masks a raw record whole, whatever its fields are called: a JSON record keeps its shape, anything else goes', () => {
    // A field name nobody listed (French `nom`, an IBAN under `compte`) and a CSV line with no field names at all.
    expect(maskRawRecord('{"kind":"customer","data":{"nom":"Jeanne Dupont","compte":"FR76 3000","vip":true,"note":null,"age":41}}')).toBe(
      `{"kind":"${MASKED}","data":{"nom":"${MASKED}","compte":"${MASKED}","vip":true,"note":null,"age":"${MASKED}"}}`,
    );
    expect(maskRawRecord('Jeanne Dupont;1970-01-01;ID-998877;5 rue Secrète')).toBe(MASKED);
    expect(maskRawRecord('{"customerId":"C1","nom":"Jeanne Dup')).toBe(MASKED);
    // A dead letter as an answer carries it: the record masked whole, and the reason without the excerpt JSON.parse quoted.
    const parked = { id: 2, record: 'Jeanne Dupont;1970-01-01', reason: 'record: malformed JSON (Unexpected token \'J\', "Jeanne Dup"... is not valid JSON)', source: 'http' };
    expect(maskPersonal({ items: [parked] })).toEqual({ items: [{ ...parked, record: MASKED, reason: `record: malformed JSON (Unexpected token 'J', "${MASKED}" is not valid JSON)` }] });
    expect(maskPersonalText('Unexpected token \'Z\', "{"a": Zygmunt, ""... is not valid JSON')).toBe(`Unexpected token 'Z', "${MASKED}" is not valid JSON`);
    // Text that merely mentions a record is left alone.
    expect(maskPersonal({ record: 42, note: 'record: malformed JSON at position 4' })).toEqual({ record: 42, note: 'record: malformed JSON at position 4' });
  });
});
