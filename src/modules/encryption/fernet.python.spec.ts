import { spawnSync } from 'node:child_process';
import { Fernet, generateKey, MultiFernet } from './fernet';

// Interoperability with Python's `cryptography.fernet` (the earlier backend's format), both directions. Skipped
// with the reason printed when python3-cryptography is absent: the unit tier must not require Python.
const PYTHON = process.env.PYTHON ?? 'python3';
const probe = spawnSync(
  PYTHON,
  ['-c', 'import cryptography, sys; sys.stdout.write(cryptography.__version__)'],
  {
    encoding: 'utf8',
  },
);
const available = probe.status === 0;
if (!available) {
  console.warn(
    `Skipping Fernet/Python interop: "${PYTHON}" with the cryptography package is not available.`,
  );
}

// The script receives and returns JSON on stdin/stdout; byte strings travel as base64.
const SCRIPT = String.raw`
import base64, json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
req = json.load(sys.stdin)
f = Fernet(req["key"].encode())
out = {"decrypted": [], "encrypted": [], "rotated": [], "unrotated": [], "rejected": []}
for tok in req["ours"]:
    out["decrypted"].append(base64.b64encode(f.decrypt_at_time(tok.encode(), 60, req["now"])).decode())
for p in req["plaintexts"]:
    out["encrypted"].append(f.encrypt_at_time(base64.b64decode(p), req["now"]).decode())
ring = MultiFernet([Fernet(req["newKey"].encode()), f])
for tok in req["ours"]:
    out["rotated"].append(ring.rotate(tok.encode()).decode())
for tok in req["ourRotated"]:
    out["unrotated"].append(base64.b64encode(Fernet(req["newKey"].encode()).decrypt(tok.encode())).decode())
for tok in req["bad"]:
    try:
        f.decrypt(tok.encode())
        out["rejected"].append(False)
    except InvalidToken:
        out["rejected"].append(True)
json.dump(out, sys.stdout)
`;

interface PythonResult {
  decrypted: string[];
  encrypted: string[];
  rotated: string[];
  unrotated: string[];
  rejected: boolean[];
}

(available ? describe : describe.skip)(
  `Fernet interop with Python cryptography ${probe.stdout ?? ''}`,
  () => {
    const key = generateKey();
    const newKey = generateKey();
    const now = 1_767_225_600; // 2026-01-01T00:00:00Z
    const payloads = [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.from('Grüße, 世界 🚀', 'utf8'),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.alloc(4096, 0x5a),
      Buffer.alloc(15, 1),
      Buffer.alloc(16, 2),
    ];
    const ours = payloads.map((p) => new Fernet(key).encrypt(p, { now: new Date(now * 1000) }));
    const ourRotated = ours.map((t) => new MultiFernet([newKey, key]).rotate(t));
    let result: PythonResult;

    beforeAll(() => {
      const run = spawnSync(PYTHON, ['-c', SCRIPT], {
        input: JSON.stringify({
          key,
          newKey,
          now,
          ours,
          ourRotated,
          plaintexts: payloads.map((p) => p.toString('base64')),
          bad: [ours[1].replace(/=+$/, ''), new Fernet(generateKey()).encrypt('x')],
        }),
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`python interop script failed: ${run.stderr}`);
      result = JSON.parse(run.stdout) as PythonResult;
    });

    it('Python decrypts every token made here (with a TTL check at the same clock)', () => {
      expect(result.decrypted.map((b) => Buffer.from(b, 'base64'))).toEqual(payloads);
    });

    it('this codec decrypts every token made by Python, which uses the same padded encoding', () => {
      for (const [i, token] of result.encrypted.entries()) {
        expect(token).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
        expect(
          new Fernet(key)
            .decrypt(token, { ttlSeconds: 60, now: new Date(now * 1000) })
            .equals(payloads[i]),
        ).toBe(true);
        expect(Buffer.from(token, 'base64url').readBigUInt64BE(1)).toBe(BigInt(now));
      }
    });

    it('rotation agrees both ways: Python rotates our tokens, Python opens our rotated tokens', () => {
      for (const [i, token] of result.rotated.entries()) {
        expect(new Fernet(newKey).decrypt(token).equals(payloads[i])).toBe(true);
        expect(Buffer.from(token, 'base64url').readBigUInt64BE(1)).toBe(BigInt(now));
      }
      expect(result.unrotated.map((b) => Buffer.from(b, 'base64'))).toEqual(payloads);
    });

    it('Python, like us, refuses unpadded tokens and foreign keys', () => {
      expect(result.rejected).toEqual([true, true]);
    });
  },
);
