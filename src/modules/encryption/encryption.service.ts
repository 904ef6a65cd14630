import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { isUuid } from '../../common/uuid';
import { SecretBindingError, SecretUnreadableError } from './encryption.errors';
import { FernetError } from './fernet';
import { KeyRing } from './key-ring';
import { openEnvelope, sealEnvelope, SecretContext } from './secret-envelope';
import type { Ciphertext } from './secret.entity';
import { SecretRepository, SecretRow } from './secret.repository';

export interface SecretRef {
  ownerType: string;
  ownerId: string;
  field: string;
}

export interface KeyCount {
  keyId: string;
  count: number;
  primary: boolean;
  known: boolean;
}

@Injectable()
export class EncryptionService {
  constructor(
    private readonly ring: KeyRing,
    private readonly secrets: SecretRepository,
    private readonly clock: Clock,
  ) {}

  get primaryKeyId(): string {
    return this.ring.primary.id;
  }

  async storeSecret(manager: EntityManager, ref: SecretRef, plaintext: string): Promise<string> {
    const owner = normalise(ref);
    if (typeof plaintext !== 'string') throw new TypeError('plaintext must be a string');
    const now = this.clock.now();
    // A second round only when a concurrent transaction inserted the same (owner, field).
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.secrets.lockIdOf(
        manager,
        owner.ownerType,
        owner.ownerId,
        owner.field,
      );
      if (existing) {
        await this.secrets.replace(
          manager,
          existing,
          this.primaryKeyId,
          this.seal({ id: existing, ...owner }, plaintext, now),
          now,
        );
        return existing;
      }
      const id = randomUUID();
      const row: SecretRow = {
        id,
        ...owner,
        keyId: this.primaryKeyId,
        ciphertext: this.seal({ id, ...owner }, plaintext, now),
      };
      if (await this.secrets.insertIfAbsent(manager, row, now)) return id;
    }
    throw new Error('storeSecret: the secret row kept changing concurrently');
  }

  async readSecret(manager: EntityManager, ref: SecretRef): Promise<string | null> {
    const owner = normalise(ref);
    const row = await this.secrets.findOne(manager, owner.ownerType, owner.ownerId, owner.field);
    return row ? this.open(row) : null;
  }

  async readSecrets(
    manager: EntityManager,
    ownerType: string,
    ownerId: string,
  ): Promise<Record<string, string>> {
    const owner = normalise({ ownerType, ownerId, field: '*' });
    const rows = await this.secrets.findByOwner(manager, owner.ownerType, owner.ownerId);
    const out: Record<string, string> = {};
    for (const row of rows) out[row.field] = this.open(row);
    return out;
  }

  // Secrets of many owners in one query: ownerId → field → plaintext (owners without secrets are absent);
  // only `fields` when given, so nothing needless is decrypted.
  async readSecretsOfOwners(
    manager: EntityManager,
    ownerType: string,
    ownerIds: string[],
    fields?: string[],
  ): Promise<Map<string, Record<string, string>>> {
    const ids = ownerIds.map((ownerId) => normalise({ ownerType, ownerId, field: '*' }).ownerId);
    const out = new Map<string, Record<string, string>>();
    if (ids.length === 0) return out;
    for (const row of await this.secrets.findByOwners(manager, ownerType, ids, fields ?? null)) {
      const fields = out.get(row.ownerId) ?? {};
      fields[row.field] = this.open(row);
      out.set(row.ownerId, fields);
    }
    return out;
  }

  // storeSecret for many at once: one lock, one update and at most one insert statement.
  async storeSecrets(
    manager: EntityManager,
    entries: Array<{ ref: SecretRef; plaintext: string }>,
  ): Promise<void> {
    const refs = entries.map((e) => normalise(e.ref));
    for (const e of entries)
      if (typeof e.plaintext !== 'string') throw new TypeError('plaintext must be a string');
    const keyOf = (r: SecretRef) => `${r.ownerType}\u0000${r.ownerId}\u0000${r.field}`;
    if (new Set(refs.map(keyOf)).size !== refs.length)
      throw new TypeError('storeSecrets: the same secret twice');
    if (refs.length === 0) return;
    const now = this.clock.now();
    const existing = new Map(
      (await this.secrets.lockIdsOf(manager, refs)).map((r) => [keyOf(r), r.id]),
    );
    const replaced: Array<{ id: string; ciphertext: Ciphertext }> = [];
    const fresh: SecretRow[] = [];
    const plaintextOf = new Map<string, { ref: SecretRef; plaintext: string }>();
    refs.forEach((owner, i) => {
      const plaintext = entries[i].plaintext;
      const id = existing.get(keyOf(owner));
      if (id) replaced.push({ id, ciphertext: this.seal({ id, ...owner }, plaintext, now) });
      else {
        const row = { id: randomUUID(), ...owner, keyId: this.primaryKeyId };
        fresh.push({ ...row, ciphertext: this.seal(row, plaintext, now) });
        plaintextOf.set(row.id, { ref: owner, plaintext });
      }
    });
    if (replaced.length) await this.secrets.replaceMany(manager, this.primaryKeyId, replaced, now);
    if (fresh.length === 0) return;
    const inserted = new Set(await this.secrets.insertManyIfAbsent(manager, fresh, now));
    // Lost a race with a concurrent insert of the same secret: the one-by-one path handles it.
    for (const row of fresh) {
      const lost = plaintextOf.get(row.id)!;
      if (!inserted.has(row.id)) await this.storeSecret(manager, lost.ref, lost.plaintext);
    }
  }

  async deleteSecrets(manager: EntityManager, ownerType: string, ownerId: string): Promise<number> {
    const owner = normalise({ ownerType, ownerId, field: '*' });
    return this.secrets.deleteByOwner(manager, owner.ownerType, owner.ownerId);
  }

  async countByKey(manager?: EntityManager): Promise<KeyCount[]> {
    const counts = new Map((await this.secrets.countByKey(manager)).map((r) => [r.keyId, r.count]));
    const out: KeyCount[] = this.ring.entries.map((e) => ({
      keyId: e.id,
      count: counts.get(e.id) ?? 0,
      primary: e.primary,
      known: true,
    }));
    for (const [keyId, count] of counts) {
      if (!this.ring.has(keyId)) out.push({ keyId, count, primary: false, known: false });
    }
    return out;
  }

  private seal(ctx: SecretContext, plaintext: string, now: Date): Ciphertext {
    return this.ring.primary.fernet.encrypt(sealEnvelope(ctx, plaintext), { now }) as Ciphertext;
  }

  private open(row: SecretRow): string {
    const entry = this.ring.get(row.keyId);
    if (!entry)
      throw new SecretUnreadableError(
        row.id,
        `encrypted with key ${row.keyId}, which is not in ENCRYPTION_KEYS`,
      );
    let plaintext: Buffer;
    try {
      plaintext = entry.fernet.decrypt(row.ciphertext);
    } catch (err) {
      if (err instanceof FernetError)
        throw new SecretUnreadableError(row.id, `ciphertext refused (${err.code})`);
      throw err;
    }
    const opened = openEnvelope(plaintext, {
      id: row.id,
      ownerType: row.ownerType,
      ownerId: row.ownerId,
      field: row.field,
    });
    if (opened.ok) return opened.value;
    if (opened.reason === 'context_mismatch') throw new SecretBindingError(row.id);
    throw new SecretUnreadableError(row.id, 'plaintext is not a secret envelope');
  }
}

// PostgreSQL returns uuids lower-case, so the sealed context uses that spelling too.
function normalise(ref: SecretRef): SecretRef {
  if (typeof ref?.ownerType !== 'string' || ref.ownerType === '')
    throw new TypeError('ownerType must be a non-empty string');
  if (typeof ref.field !== 'string' || ref.field === '')
    throw new TypeError('field must be a non-empty string');
  if (typeof ref.ownerId !== 'string' || !isUuid(ref.ownerId))
    throw new TypeError('ownerId must be a uuid');
  return { ownerType: ref.ownerType, ownerId: ref.ownerId.toLowerCase(), field: ref.field };
}
