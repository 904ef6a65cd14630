import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryResult } from '../../database/query-result';
import type { Ciphertext } from './secret.entity';

export interface SecretRow {
  id: string;
  ownerType: string;
  ownerId: string;
  field: string;
  keyId: string;
  ciphertext: Ciphertext;
}

export interface SecretSwap {
  id: string;
  expected: Ciphertext;
  next: Ciphertext;
}

function affectedRows(result: unknown): number {
  return queryResult(result).affected ?? 0;
}

const COLUMNS = `id, owner_type AS "ownerType", owner_id AS "ownerId", field, key_id AS "keyId", ciphertext`;

@Injectable()
export class SecretRepository {
  constructor(private readonly dataSource: DataSource) {}

  async lockIdOf(
    manager: EntityManager,
    ownerType: string,
    ownerId: string,
    field: string,
  ): Promise<string | null> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM secrets WHERE owner_type = $1 AND owner_id = $2 AND field = $3 FOR UPDATE`,
      [ownerType, ownerId, field],
    );
    return rows[0]?.id ?? null;
  }

  async insertIfAbsent(manager: EntityManager, row: SecretRow, now: Date): Promise<boolean> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO secrets (id, owner_type, owner_id, field, key_id, ciphertext, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (owner_type, owner_id, field) DO NOTHING
       RETURNING id`,
      [row.id, row.ownerType, row.ownerId, row.field, row.keyId, row.ciphertext, now],
    );
    return inserted.length === 1;
  }

  async replace(
    manager: EntityManager,
    id: string,
    keyId: string,
    ciphertext: Ciphertext,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE secrets SET key_id = $2, ciphertext = $3, updated_at = $4 WHERE id = $1`,
      [id, keyId, ciphertext, now],
    );
  }

  async findOne(
    manager: EntityManager,
    ownerType: string,
    ownerId: string,
    field: string,
  ): Promise<SecretRow | null> {
    const rows: SecretRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM secrets WHERE owner_type = $1 AND owner_id = $2 AND field = $3`,
      [ownerType, ownerId, field],
    );
    return rows[0] ?? null;
  }

  async findByOwner(
    manager: EntityManager,
    ownerType: string,
    ownerId: string,
  ): Promise<SecretRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM secrets WHERE owner_type = $1 AND owner_id = $2 ORDER BY field`,
      [ownerType, ownerId],
    );
  }

  // `fields` null: all of them.
  async findByOwners(
    manager: EntityManager,
    ownerType: string,
    ownerIds: string[],
    fields: string[] | null,
  ): Promise<SecretRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM secrets WHERE owner_type = $1 AND owner_id = ANY($2::uuid[])
       AND ($3::text[] IS NULL OR field = ANY($3::text[])) ORDER BY owner_id, field`,
      [ownerType, ownerIds, fields],
    );
  }

  // In id order, so two batches over overlapping owners cannot deadlock.
  async lockIdsOf(
    manager: EntityManager,
    refs: Array<{ ownerType: string; ownerId: string; field: string }>,
  ): Promise<Array<{ id: string; ownerType: string; ownerId: string; field: string }>> {
    return manager.query(
      `SELECT s.id, s.owner_type AS "ownerType", s.owner_id AS "ownerId", s.field FROM secrets s
       JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS v(owner_type, owner_id, field)
         ON s.owner_type = v.owner_type AND s.owner_id = v.owner_id AND s.field = v.field
       ORDER BY s.id FOR UPDATE OF s`,
      [refs.map((r) => r.ownerType), refs.map((r) => r.ownerId), refs.map((r) => r.field)],
    );
  }

  async replaceMany(
    manager: EntityManager,
    keyId: string,
    rows: Array<{ id: string; ciphertext: Ciphertext }>,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE secrets s SET key_id = $1, ciphertext = v.ciphertext, updated_at = $2
       FROM unnest($3::uuid[], $4::text[]) AS v(id, ciphertext) WHERE s.id = v.id`,
      [keyId, now, rows.map((r) => r.id), rows.map((r) => r.ciphertext)],
    );
  }

  // The ids actually inserted; a row a concurrent transaction inserted first is left out.
  async insertManyIfAbsent(
    manager: EntityManager,
    rows: SecretRow[],
    now: Date,
  ): Promise<string[]> {
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO secrets (id, owner_type, owner_id, field, key_id, ciphertext, created_at, updated_at)
       SELECT v.*, $7::timestamptz, $7::timestamptz
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[])
         AS v(id, owner_type, owner_id, field, key_id, ciphertext)
       ON CONFLICT (owner_type, owner_id, field) DO NOTHING
       RETURNING id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.ownerType),
        rows.map((r) => r.ownerId),
        rows.map((r) => r.field),
        rows.map((r) => r.keyId),
        rows.map((r) => r.ciphertext),
        now,
      ],
    );
    return inserted.map((r) => r.id);
  }

  async deleteByOwner(manager: EntityManager, ownerType: string, ownerId: string): Promise<number> {
    const result: unknown = await manager.query(
      `DELETE FROM secrets WHERE owner_type = $1 AND owner_id = $2`,
      [ownerType, ownerId],
    );
    return affectedRows(result);
  }

  async countByKey(
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Array<{ keyId: string; count: number }>> {
    const rows: Array<{ keyId: string; count: string }> = await manager.query(
      `SELECT key_id AS "keyId", count(*) AS count FROM secrets GROUP BY key_id ORDER BY key_id`,
    );
    return rows.map((r) => ({ keyId: r.keyId, count: Number(r.count) }));
  }

  async countNotUnder(
    keyId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<number> {
    const rows: Array<{ count: string }> = await manager.query(
      `SELECT count(*) AS count FROM secrets WHERE key_id <> $1`,
      [keyId],
    );
    return Number(rows[0].count);
  }

  // SKIP LOCKED: a row a refresh is writing is left for a later pass; neither waits on the other.
  async lockBatchNotUnder(
    manager: EntityManager,
    keyId: string,
    afterId: string | null,
    limit: number,
  ): Promise<SecretRow[]> {
    return manager.query(
      `SELECT ${COLUMNS} FROM secrets
       WHERE key_id <> $1 AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id LIMIT $3
       FOR UPDATE SKIP LOCKED`,
      [keyId, afterId, limit],
    );
  }

  // Compare-and-swap: a write that slipped in since the batch read is never overwritten.
  async swapCiphertexts(
    manager: EntityManager,
    keyId: string,
    swaps: SecretSwap[],
    now: Date,
  ): Promise<number> {
    if (swaps.length === 0) return 0;
    const result: unknown = await manager.query(
      `UPDATE secrets AS s SET key_id = $1, ciphertext = v.next, updated_at = $2
       FROM unnest($3::uuid[], $4::text[], $5::text[]) AS v(id, expected, next)
       WHERE s.id = v.id AND s.ciphertext = v.expected`,
      [keyId, now, swaps.map((s) => s.id), swaps.map((s) => s.expected), swaps.map((s) => s.next)],
    );
    return affectedRows(result);
  }
}
