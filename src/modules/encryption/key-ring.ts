import { createHash } from 'node:crypto';
import { Fernet, FernetKeyError, MultiFernet } from './fernet';

export interface KeyRingEntry {
  id: string;
  fernet: Fernet;
  primary: boolean;
}

// Not secret: 32 bits of a hash reveal nothing useful about 256 random bits.
export function keyIdOf(key: string): string {
  new Fernet(key); // validates the format first
  return `k_${createHash('sha256').update(Buffer.from(key, 'base64url')).digest('hex').slice(0, 8)}`;
}

export class KeyRing {
  readonly entries: readonly KeyRingEntry[];
  readonly multi: MultiFernet;
  private readonly byId: Map<string, KeyRingEntry>;

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new FernetKeyError('the key ring needs at least one key');
    this.entries = keys.map((key, i) => ({
      id: keyIdOf(key),
      fernet: new Fernet(key),
      primary: i === 0,
    }));
    this.byId = new Map(this.entries.map((e) => [e.id, e]));
    if (this.byId.size !== this.entries.length) {
      throw new FernetKeyError(
        'the key ring contains the same key twice (or two keys with the same id)',
      );
    }
    this.multi = new MultiFernet(this.entries.map((e) => e.fernet));
  }

  get primary(): KeyRingEntry {
    return this.entries[0];
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  get(keyId: string): KeyRingEntry | undefined {
    return this.byId.get(keyId);
  }
}
