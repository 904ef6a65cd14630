import { DecimalFormatError, roundDecimal } from '../../common/decimal';
import { BrokeragePayloadError } from './brokerage-data.adapter';

// Source text, so no detour through a float.
export class JsonNumber {
  constructor(readonly source: string) {}
}

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

// Node ≥ 21 passes the source text to the reviver.
export function parseLosslessJson(text: string): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' ? new JsonNumber(context!.source!) : value;
  try {
    return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
  } catch {
    throw new BrokeragePayloadError('$');
  }
}

// Failures name the path, never the value (which may be an account number).
export class Payload {
  constructor(
    readonly value: unknown,
    readonly path = '$',
  ) {}

  get(key: string): Payload {
    const v = this.value;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonNumber) {
      throw new BrokeragePayloadError(this.path);
    }
    return new Payload((v as Record<string, unknown>)[key], `${this.path}.${key}`);
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  array(): Payload[] {
    if (!Array.isArray(this.value)) throw new BrokeragePayloadError(this.path);
    return this.value.map((v, i) => new Payload(v, `${this.path}[${i}]`));
  }

  optionalArray(): Payload[] {
    return this.present ? this.array() : [];
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value.length === 0 || this.value.length > 1000) {
      throw new BrokeragePayloadError(this.path);
    }
    return this.value;
  }

  optionalString(): string | null {
    return this.present ? this.string() : null;
  }

  decimal(): string {
    const v = this.value;
    const text = v instanceof JsonNumber ? v.source : typeof v === 'string' ? v : undefined;
    if (text === undefined) throw new BrokeragePayloadError(this.path);
    try {
      return roundDecimal(text);
    } catch (err) {
      if (err instanceof DecimalFormatError) throw new BrokeragePayloadError(this.path);
      throw err;
    }
  }

  optionalDecimal(): string | null {
    return this.present ? this.decimal() : null;
  }

  date(): string {
    const m = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(typeof this.value === 'string' ? this.value : '');
    if (!m || !isCalendarDate(m[1])) throw new BrokeragePayloadError(this.path);
    return m[1];
  }

  optionalDate(): string | null {
    return this.present ? this.date() : null;
  }
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}
