import { BrokeragePayloadError } from './brokerage-data.adapter';
import { isCalendarDate, JsonNumber, parseLosslessJson, Payload } from './payload';

describe('Payload', () => {
  const p = new Payload(
    parseLosslessJson('{"n": 1.10, "s": "2.5", "list": [1], "nil": null, "d": "2025-01-31"}'),
  );

  it('reads numbers by their source text, numeric strings too; optional values may be missing or null', () => {
    expect(p.get('n').value).toEqual(new JsonNumber('1.10'));
    expect(p.get('n').decimal()).toBe('1.1');
    expect(p.get('s').decimal()).toBe('2.5');
    expect(p.get('nil').optionalDecimal()).toBeNull();
    expect(p.get('missing').optionalString()).toBeNull();
    expect(p.get('missing').optionalArray()).toEqual([]);
    expect(p.get('d').date()).toBe('2025-01-31');
    expect(p.get('nil').optionalDate()).toBeNull();
  });

  it.each([
    ['a key of a number', () => p.get('n').get('x'), '$.n'],
    ['a key of a list', () => p.get('list').get('x'), '$.list'],
    ['a list that is not one', () => p.get('s').array(), '$.s'],
    ['a string that is a number', () => p.get('n').string(), '$.n'],
    ['a decimal that is a list', () => p.get('list').decimal(), '$.list'],
    ['a decimal that is text', () => new Payload('abc', '$.t').decimal(), '$.t'],
    ['a date that is not one', () => p.get('s').date(), '$.s'],
  ])('refuses %s', (_name, read, path) => {
    expect(read).toThrow(BrokeragePayloadError);
    expect(read).toThrow(`rejected at ${path}`);
  });

  it('knows calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2025-1-1')).toBe(false);
  });
});
