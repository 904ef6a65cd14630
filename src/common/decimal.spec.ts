import fc from 'fast-check';
import {
  addDecimals,
  DecimalFormatError,
  formatMoney,
  formatQuantity,
  fromScaled,
  multiplyDecimals,
  normalizeDecimal,
  roundDecimal,
  toScaled,
} from './decimal';

describe('decimal', () => {
  it.each([
    ['1234.56', '1234.56'],
    ['1.50E+2', '150'],
    ['1.5e-7', '0.00000015'],
    ['-0.000', '0'],
    ['007.10', '7.1'],
    ['+3', '3'],
    ['12345678901234567890.12345678', '12345678901234567890.12345678'],
  ])('normalizes %s exactly', (input, expected) => {
    expect(normalizeDecimal(input)).toBe(expected);
  });

  it.each(['', 'abc', '1.2.3', '0.123456789', '123456789012345678901', '1e999', 'NaN', '0x10'])(
    'refuses %p',
    (input) => {
      expect(() => normalizeDecimal(input)).toThrow(DecimalFormatError);
    },
  );

  it('rounds excess decimals on the digits, not through a float', () => {
    expect(roundDecimal('401.10000000000002')).toBe('401.1');
    expect(roundDecimal('0.123456785')).toBe('0.12345679');
    expect(roundDecimal('-9.999999999')).toBe('-10');
    expect(roundDecimal('-0.000000001')).toBe('0');
    expect(roundDecimal('2.5', 0)).toBe('3');
    expect(roundDecimal('1.25')).toBe('1.25');
  });

  it('adds and multiplies without binary rounding', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('-5.25', '5.25')).toBe('0');
    expect(multiplyDecimals('3', '0.1', 2)).toBe('0.3');
    expect(multiplyDecimals('2.5', '0.005', 2)).toBe('0.01');
    expect(multiplyDecimals('-2.5', '0.005', 2)).toBe('-0.01');
    expect(multiplyDecimals('0.12345678', '2')).toBe('0.24691356');
  });

  it('formats money with two decimals and quantities bare', () => {
    expect(formatMoney('12.50000000')).toBe('12.50');
    expect(formatMoney('-3')).toBe('-3.00');
    expect(formatMoney('0.12345678')).toBe('0.12345678');
    expect(formatQuantity('10.00000000')).toBe('10');
  });

  it('round-trips any scaled value digit for digit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 27n), max: 10n ** 27n }), (n) => {
        expect(toScaled(fromScaled(n))).toBe(n);
      }),
    );
  });
});
