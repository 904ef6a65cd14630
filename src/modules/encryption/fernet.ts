// Fernet (https://github.com/fernet/spec), byte-compatible with Python's `cryptography.fernet`.
// Tools import this file without Nest: keep its exports stable. Messages never hold a key or token.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export class FernetError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class FernetKeyError extends FernetError {
  constructor(message = 'Fernet key must be 32 bytes encoded as padded base64url (44 characters)') {
    super('fernet_bad_key', message);
  }
}

export class FernetUsageError extends FernetError {
  constructor(message: string) {
    super('fernet_bad_argument', message);
  }
}

// The equivalent of Python's `InvalidToken`.
export class FernetTokenError extends FernetError {}

export class FernetMalformedTokenError extends FernetTokenError {
  constructor(reason: string) {
    super('fernet_malformed_token', `Malformed Fernet token: ${reason}`);
  }
}

export class FernetSignatureError extends FernetTokenError {
  constructor() {
    super('fernet_bad_signature', 'Fernet token signature does not match');
  }
}

export class FernetExpiredError extends FernetTokenError {
  constructor() {
    super('fernet_expired', 'Fernet token has expired');
  }
}

export class FernetFutureTokenError extends FernetTokenError {
  constructor() {
    super('fernet_from_future', 'Fernet token timestamp is too far in the future');
  }
}

export interface EncryptOptions {
  now?: Date;
  /** Only for test vectors: reusing an IV under one key is unsafe. */
  iv?: Buffer;
}

export interface DecryptOptions {
  /** Also enables the clock-skew check, as in Python. */
  ttlSeconds?: number;
  now?: Date;
}

const VERSION = 0x80;
const HEADER = 1 + 8 + 16; // version ‖ timestamp ‖ IV
const MAC_LEN = 32;
const BLOCK = 16;
const MIN_TOKEN_BYTES = HEADER + BLOCK + MAC_LEN; // PKCS#7 always yields at least one block
const MAX_CLOCK_SKEW = 60n;
const KEY_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]=$/; // 32 bytes: the last char carries 2 zero bits

// Padded, as Python's `base64.urlsafe_b64encode` (Node's base64url omits the padding).
function encodeToken(bytes: Buffer): string {
  const s = bytes.toString('base64url');
  const rem = s.length % 4;
  return rem === 0 ? s : s + (rem === 2 ? '==' : '=');
}

// Node's decoder skips foreign characters, accepts "+", "/" and non-zero trailing bits: requiring
// the bytes to re-encode to the input refuses all these and second spellings, cheaper than a regex.
function decodeToken(token: unknown): Buffer {
  if (typeof token !== 'string') throw new FernetMalformedTokenError('not a string');
  if (token.length === 0 || token.length % 4 !== 0)
    throw new FernetMalformedTokenError('invalid base64 length');
  const bytes = Buffer.from(token, 'base64url');
  if (encodeToken(bytes) !== token)
    throw new FernetMalformedTokenError('not canonical padded base64url');
  return bytes;
}

function parseKey(key: unknown): KeyPair {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw new FernetKeyError();
  const bytes = Buffer.from(key, 'base64url');
  return {
    signing: createSecretKey(bytes.subarray(0, 16)),
    encryption: createSecretKey(bytes.subarray(16, 32)),
  };
}

function secondsOf(date: Date | undefined, what: string): bigint {
  const ms = date === undefined ? Date.now() : date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(ms)) throw new FernetUsageError(`${what} must be a valid Date`);
  if (ms < 0) throw new FernetUsageError(`${what} must not be before 1970`);
  return BigInt(Math.floor(ms / 1000));
}

function toBytes(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new FernetUsageError('data must be a string, Buffer or Uint8Array');
}

interface ParsedToken {
  bytes: Buffer;
  timestamp: bigint;
}

function parseToken(token: unknown): ParsedToken {
  const bytes = decodeToken(token);
  if (bytes.length < 1 || bytes[0] !== VERSION)
    throw new FernetMalformedTokenError('unknown version');
  if (bytes.length < MIN_TOKEN_BYTES) throw new FernetMalformedTokenError('too short');
  if ((bytes.length - HEADER - MAC_LEN) % BLOCK !== 0) {
    throw new FernetMalformedTokenError('ciphertext is not a whole number of blocks');
  }
  return { bytes, timestamp: bytes.readBigUInt64BE(1) };
}

function checkTime(timestamp: bigint, opts: DecryptOptions | undefined): void {
  if (opts?.ttlSeconds === undefined) return;
  const ttl = opts.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new FernetUsageError('ttlSeconds must be a non-negative number');
  }
  const now = secondsOf(opts.now, 'now');
  if (timestamp + BigInt(Math.floor(ttl)) < now) throw new FernetExpiredError();
  if (now + MAX_CLOCK_SKEW < timestamp) throw new FernetFutureTokenError();
}

interface KeyPair {
  signing: KeyObject;
  encryption: KeyObject;
}

// Key material lives outside the instances, so neither it nor the low-level helpers are public API.
const KEYS = new WeakMap<Fernet, KeyPair>();

function encryptFromParts(keys: KeyPair, plaintext: Buffer, timestamp: bigint, iv: Buffer): string {
  const cipher = createCipheriv('aes-128-cbc', keys.encryption, iv);
  const c1 = cipher.update(plaintext);
  const c2 = cipher.final();
  const out = Buffer.allocUnsafe(HEADER + c1.length + c2.length + MAC_LEN);
  out[0] = VERSION;
  out.writeBigUInt64BE(timestamp, 1);
  iv.copy(out, 9);
  c1.copy(out, HEADER);
  c2.copy(out, HEADER + c1.length);
  const macAt = out.length - MAC_LEN;
  createHmac('sha256', keys.signing).update(out.subarray(0, macAt)).digest().copy(out, macAt);
  return encodeToken(out);
}

// undefined when the HMAC does not match, so a key ring can try the next key.
function tryDecrypt(keys: KeyPair, bytes: Buffer): Buffer | undefined {
  const macAt = bytes.length - MAC_LEN;
  const expected = createHmac('sha256', keys.signing).update(bytes.subarray(0, macAt)).digest();
  const actual = bytes.subarray(macAt);
  // Equal by construction (parseToken), but timingSafeEqual throws on unequal lengths.
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  const decipher = createDecipheriv('aes-128-cbc', keys.encryption, bytes.subarray(9, HEADER));
  try {
    const p1 = decipher.update(bytes.subarray(HEADER, macAt));
    const p2 = decipher.final();
    return p2.length === 0 ? p1 : Buffer.concat([p1, p2]);
  } catch {
    throw new FernetMalformedTokenError('invalid padding');
  }
}

function keysOf(f: Fernet): KeyPair {
  return KEYS.get(f) as KeyPair;
}

export class Fernet {
  constructor(key: string) {
    KEYS.set(this, parseKey(key));
  }

  encrypt(data: string | Buffer | Uint8Array, opts: EncryptOptions = {}): string {
    const iv = opts.iv ?? randomBytes(16);
    if (!Buffer.isBuffer(iv) || iv.length !== 16)
      throw new FernetUsageError('iv must be a 16-byte Buffer');
    return encryptFromParts(keysOf(this), toBytes(data), secondsOf(opts.now, 'now'), iv);
  }

  decrypt(token: string, opts?: DecryptOptions): Buffer {
    const parsed = parseToken(token);
    checkTime(parsed.timestamp, opts);
    const plaintext = tryDecrypt(keysOf(this), parsed.bytes);
    if (plaintext === undefined) throw new FernetSignatureError();
    return plaintext;
  }
}

export class MultiFernet {
  private readonly fernets: Fernet[];

  constructor(keys: Array<string | Fernet>) {
    if (!Array.isArray(keys) || keys.length === 0)
      throw new FernetKeyError('MultiFernet needs at least one key');
    this.fernets = keys.map((k) => (k instanceof Fernet ? k : new Fernet(k)));
  }

  encrypt(data: string | Buffer | Uint8Array, opts?: EncryptOptions): string {
    return this.fernets[0].encrypt(data, opts);
  }

  decrypt(token: string, opts?: DecryptOptions): Buffer {
    const parsed = parseToken(token);
    checkTime(parsed.timestamp, opts);
    return this.decryptParsed(parsed);
  }

  rotate(token: string): string {
    const parsed = parseToken(token);
    const plaintext = this.decryptParsed(parsed);
    return encryptFromParts(keysOf(this.fernets[0]), plaintext, parsed.timestamp, randomBytes(16));
  }

  private decryptParsed(parsed: ParsedToken): Buffer {
    for (const f of this.fernets) {
      const plaintext = tryDecrypt(keysOf(f), parsed.bytes);
      if (plaintext !== undefined) return plaintext;
    }
    throw new FernetSignatureError();
  }
}

export function generateKey(): string {
  return encodeToken(randomBytes(32));
}
