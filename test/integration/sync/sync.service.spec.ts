import { EncryptionService } from '../../../src/modules/encryption/encryption.service';
import { BrokerageError } from '../../../src/modules/brokerages/brokerage-data.adapter';
import { ACCOUNT_SECRET_OWNER } from '../../../src/modules/sync/sync.service';
import { fakeTransaction } from './fake-data-adapter';
import { useSyncKit } from './sync-kit';

const { m, clock, fake, T0, HOUR, q, scheduler, connection, counts, conn, events } = useSyncKit();

describe('sync', () => {
  it('first sync stores accounts, positions, transactions and a balance point, exactly, in one go', async () => {
    const id = await connection();
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 1, synced: 1 });
    expect(await counts(id)).toEqual({ accounts: 2, positions: 4, txs: 2, balances: 2 });
    const [big] = await q<{ cash: string; number_last4: string }>(
      `SELECT cash::text, number_last4 FROM brokerage_accounts WHERE external_id = 'acct-2'`,
    );
    expect(big).toEqual({ cash: '12345678901234567890.12345678', number_last4: '0002' });
    const [qty] = await q<{ quantity: string }>(
      `SELECT quantity::text FROM account_positions WHERE symbol = 'AAPL' LIMIT 1`,
    );
    expect(qty.quantity).toBe('10.12345678');
    // The brokerage's account handle is a secret: encrypted, bound to the account row, never in plain text.
    const [acct] = await q<{ id: string }>(
      `SELECT id FROM brokerage_accounts WHERE external_id = 'acct-1' AND connection_id = $1`,
      [id],
    );
    const secret = await m
      .get<EncryptionService>(EncryptionService)
      .readSecret(m.dataSource.manager, {
        ownerType: ACCOUNT_SECRET_OWNER,
        ownerId: acct.id,
        field: 'api_handle',
      });
    expect(secret).toBe('HASH-VALUE-1-SECRET');
    expect(await q(`SELECT 1 FROM secrets WHERE ciphertext LIKE '%HASH-VALUE%'`)).toEqual([]);
    // History window on the first sync; the token came through the tokens module.
    expect(fake.calls.find((c) => c.op === 'getTransactions')).toMatchObject({
      from: '2026-04-02',
      to: '2026-05-01',
      token: `at-${id}`,
    });
    expect(await conn(id)).toMatchObject({
      status: 'active',
      sync_status: 'idle',
      sync_status_reason: null,
      last_synced_at: new Date(T0),
    });
    expect((await events(id)).map((e) => e.type)).toEqual(['sync_completed']);
    expect((await events(id))[0].data).toEqual({
      accounts: 2,
      closed: 0,
      positions: 4,
      transactionsAdded: 2,
    });
  });

  it('a re-sync is idempotent; later syncs re-read from the last transaction minus the overlap', async () => {
    const id = await connection();
    await scheduler().runOnce();
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 0 }); // not due for an hour
    clock.set(new Date(Date.parse(T0) + HOUR));
    fake.calls = [];
    fake.accounts[0].transactions.push(fakeTransaction('t3', '2026-05-01', '99.99'));
    fake.accounts[0].positions[0].marketValue = '1600.00';
    expect(await scheduler().runOnce()).toMatchObject({ synced: 1 });
    expect(await counts(id)).toEqual({ accounts: 2, positions: 4, txs: 3, balances: 4 });
    expect(
      fake.calls.filter((c) => c.op === 'getTransactions').map((c) => [c.externalId, c.from]),
    ).toEqual([
      ['acct-1', '2026-04-25'],
      ['acct-2', '2026-04-02'],
    ]);
    const [p] = await q<{ mv: string }>(
      `SELECT market_value::text AS mv FROM account_positions WHERE symbol = 'AAPL' ORDER BY market_value DESC LIMIT 1`,
    );
    expect(p.mv).toBe('1600.00000000');
    expect((await events(id)).at(-1)!.data).toMatchObject({ transactionsAdded: 1 });
  });

  it('an account the brokerage stops returning is closed, not deleted, and reopens when it returns', async () => {
    const id = await connection();
    await scheduler().runOnce();
    const second = fake.accounts.pop()!;
    clock.set(new Date(Date.parse(T0) + HOUR));
    await scheduler().runOnce();
    expect(
      await q(
        `SELECT external_id, status FROM brokerage_accounts WHERE connection_id = $1 ORDER BY external_id`,
        [id],
      ),
    ).toEqual([
      { external_id: 'acct-1', status: 'open' },
      { external_id: 'acct-2', status: 'closed' },
    ]);
    fake.accounts.push(second);
    clock.set(new Date(Date.parse(T0) + 2 * HOUR));
    await scheduler().runOnce();
    expect(
      await q(
        `SELECT status, closed_at FROM brokerage_accounts WHERE connection_id = $1 AND external_id = 'acct-2'`,
        [id],
      ),
    ).toEqual([{ status: 'open', closed_at: null }]);
  });

  it('a failure mid-sync leaves the previous data intact and degrades the connection; success heals it', async () => {
    const id = await connection();
    await scheduler().runOnce();
    const before = await counts(id);
    clock.set(new Date(Date.parse(T0) + HOUR));
    fake.accounts[0].transactions.push(fakeTransaction('t9', '2026-05-01'));
    fake.failAt = {
      op: 'getTransactions',
      externalId: 'acct-2',
      error: new BrokerageError('temporary', 'brokerage_error', 502),
    };
    expect(await scheduler().runOnce()).toMatchObject({ failed: 1 });
    expect(await counts(id)).toEqual(before);
    expect(await conn(id)).toMatchObject({
      status: 'degraded',
      status_reason: 'brokerage_error',
      sync_status: 'failed',
      sync_status_reason: 'brokerage_error',
    });
    const [sched] = await q<{ next_sync_at: Date; failure_count: number }>(
      `SELECT next_sync_at, failure_count FROM connection_syncs WHERE connection_id = $1`,
      [id],
    );
    expect(sched.failure_count).toBe(1);
    expect(sched.next_sync_at.getTime()).toBe(clock.now().getTime() + 45_000); // backoff: base 60 s, equal jitter at 0.5
    // A second failure for another reason: still degraded, still the sync's to heal.
    fake.failAt = {
      op: 'listAccounts',
      error: new BrokerageError('rate_limited', 'rate_limited', 429, '60'),
    };
    clock.advance(60_000);
    expect(await scheduler().runOnce()).toMatchObject({ failed: 1 });
    expect(await conn(id)).toMatchObject({
      status: 'degraded',
      sync_status_reason: 'rate_limited',
    });
    fake.failAt = undefined;
    clock.advance(90_000); // second backoff step: 120 s, equal jitter at 0.5
    expect(await scheduler().runOnce()).toMatchObject({ synced: 1 });
    expect(await conn(id)).toMatchObject({
      status: 'active',
      status_reason: null,
      sync_status: 'idle',
    });
    expect((await events(id)).map((e) => e.type)).toEqual([
      'sync_completed',
      'status_changed',
      'sync_failed',
      'sync_failed',
      'status_changed',
      'sync_completed',
    ]);
  });

  it('a database failure in the middle of the write rolls back the whole sync', async () => {
    const id = await connection();
    const encryption = m.get<EncryptionService>(EncryptionService);
    const original = encryption.storeSecret.bind(encryption);
    let calls = 0;
    const spy = jest
      .spyOn(encryption, 'storeSecret')
      .mockImplementation(async (manager, ref, text) => {
        if (ref.ownerType === ACCOUNT_SECRET_OWNER && ++calls === 2) throw new Error('disk full');
        return original(manager, ref, text);
      });
    try {
      expect(await scheduler().runOnce()).toMatchObject({ failed: 1 });
    } finally {
      spy.mockRestore();
    }
    expect(await counts(id)).toEqual({ accounts: 0, positions: 0, txs: 0, balances: 0 });
    expect(await conn(id)).toMatchObject({
      sync_status: 'failed',
      sync_status_reason: 'invalid_data',
    });
  });

  it('a malformed payload is refused whole', async () => {
    const id = await connection();
    fake.accounts[1].transactions = [fakeTransaction('bad', '2026-04-30', '1.5e400')];
    await scheduler().runOnce();
    expect(await counts(id)).toEqual({ accounts: 0, positions: 0, txs: 0, balances: 0 });
    expect(await conn(id)).toMatchObject({
      status: 'degraded',
      sync_status_reason: 'malformed_payload',
    });
  });

  it('401 → reauth_required (no more syncs); 429 → degraded until Retry-After', async () => {
    const a = await connection();
    fake.failAt = {
      op: 'listAccounts',
      error: new BrokerageError('reauth_required', 'unauthorized', 401),
    };
    await scheduler().runOnce();
    expect(await conn(a)).toMatchObject({
      status: 'reauth_required',
      status_reason: 'unauthorized',
      sync_status: 'failed',
    });
    expect(await q(`SELECT type FROM audit_events WHERE data->>'connectionId' = $1`, [a])).toEqual([
      { type: 'provider.reauth_required' },
    ]);
    clock.advance(2 * HOUR);
    expect(await scheduler().runOnce()).toMatchObject({ claimed: 0 });

    const b = await connection();
    fake.failAt = {
      op: 'listAccounts',
      error: new BrokerageError('rate_limited', 'rate_limited', 429, '900'),
    };
    await scheduler().runOnce();
    const [s] = await q<{ next_sync_at: Date }>(
      `SELECT next_sync_at FROM connection_syncs WHERE connection_id = $1`,
      [b],
    );
    expect(s.next_sync_at.getTime()).toBe(clock.now().getTime() + 900_000);
    expect(await conn(b)).toMatchObject({ status: 'degraded', status_reason: 'rate_limited' });
  });

  it('a token that cannot be refreshed fails the sync without a brokerage data call', async () => {
    const id = await connection();
    await q(`UPDATE provider_tokens SET access_token_expires_at = $2 WHERE connection_id = $1`, [
      id,
      new Date(Date.parse(T0) - 1000),
    ]);
    await scheduler().runOnce();
    expect(fake.calls).toEqual([]);
    expect(await conn(id)).toMatchObject({
      sync_status: 'failed',
      sync_status_reason: 'reauth_required',
      status: 'reauth_required',
    });
  });
});
