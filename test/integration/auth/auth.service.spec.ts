import { TestingModule } from '@nestjs/testing';
import { Clock, FakeClock } from '../../../src/common/clock';
import { AuthError } from '../../../src/modules/auth/auth.errors';
import { asHttp } from '../../support/as-http';
import { DatabaseModule } from '../../../src/database/database.module';
import { Transactions } from '../../../src/database/transactions';
import { AuditModule } from '../../../src/modules/audit/audit.module';
import { AuditService } from '../../../src/modules/audit/audit.service';
import { AuthModule } from '../../../src/modules/auth/auth.module';
import { AccountMailService } from '../../../src/modules/auth/account-mail.service';
import { AccountService } from '../../../src/modules/auth/account.service';
import { LoginService } from '../../../src/modules/auth/login.service';
import { PasswordsService } from '../../../src/modules/auth/passwords.service';
import { RegistrationService } from '../../../src/modules/auth/registration.service';
import { CreateAdminCommand } from '../../../src/modules/auth/create-admin.command';
import { FIND_LIVE_SQL, SessionsRepository } from '../../../src/modules/auth/sessions.repository';
import { UsersRepository } from '../../../src/modules/auth/users.repository';
import { OneTimeTokensRepository } from '../../../src/modules/auth/one-time-tokens.repository';
import { MailModule } from '../../../src/modules/mail/mail.module';
import { MAILER } from '../../../src/modules/mail/mailer';
import { CliIo } from '../../../src/common/cli/cli-command';
import { createAuthenticatedUser } from '../../factories/auth.factory';
import { describeRealCommit, useTestModule } from '../../harness';
import { buildTestingModule } from '../../harness/test-app';
import { ClockModule } from '../../../src/common/clock';
import { ConfigModule } from '../../../src/config';
import { CapturingMailer } from '../../e2e/auth/capturing-mailer';

const meta = { ip: '203.0.113.9', userAgent: 'spec', requestId: 'req-1' };

describe('AuthService and AuditService (integration)', () => {
  const clock = new FakeClock(new Date());
  const mailer = new CapturingMailer();
  const m = useTestModule({
    imports: [AuditModule, MailModule, AuthModule],
    providers: [CreateAdminCommand],
    overrides: [
      { provide: Clock, useValue: clock },
      { provide: MAILER, useValue: mailer },
    ],
  });

  it('audit_events is append-only in the database itself', async () => {
    await m
      .get<Transactions>(Transactions)
      .run((tx) =>
        m
          .get<AuditService>(AuditService)
          .record(tx.manager, { type: 'spec_event', ...meta, data: { n: 1 } }),
      );
    const [row] = await m.dataSource.query(`SELECT * FROM audit_events WHERE type = 'spec_event'`);
    expect(row).toMatchObject({
      ip: '203.0.113.9',
      user_agent: 'spec',
      request_id: 'req-1',
      data: { n: 1 },
      user_id: null,
    });
    const tx = m.get<Transactions>(Transactions);
    await expect(
      tx.run((t) => t.manager.query(`UPDATE audit_events SET type = 'x'`)),
    ).rejects.toThrow(/append-only/);
    await expect(tx.run((t) => t.manager.query(`DELETE FROM audit_events`))).rejects.toThrow(
      /append-only/,
    );
    await expect(tx.run((t) => t.manager.query(`TRUNCATE audit_events`))).rejects.toThrow(
      /append-only/,
    );
    expect(
      await m.dataSource.query(`SELECT type FROM audit_events WHERE type = 'spec_event'`),
    ).toHaveLength(1);
  });

  it('an audit event rolls back with the transaction that wrote it', async () => {
    await expect(
      m.get<Transactions>(Transactions).run(async (tx) => {
        await m.get<AuditService>(AuditService).record(tx.manager, { type: 'rolled_back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(
      await m.get<AuditService>(AuditService).forUser('00000000-0000-4000-8000-000000000000'),
    ).toEqual([]);
    const rows = await m.dataSource.query(`SELECT 1 FROM audit_events WHERE type = 'rolled_back'`);
    expect(rows).toHaveLength(0);
  });

  it('records who, from where and which request for security events', async () => {
    const u = await createAuthenticatedUser(m);
    await m.get<AccountService>(AccountService).logoutAll(u.userId, meta);
    const events = await m.get<AuditService>(AuditService).forUser(u.userId);
    expect(events.map((e) => e.type)).toEqual(['logout_all', 'login']);
    expect(events[0]).toMatchObject({
      ip: '203.0.113.9',
      userAgent: 'spec',
      requestId: 'req-1',
      data: { sessions: 1 },
    });
  });

  it('mails are sent only after commit', async () => {
    const before = mailer.sent.length;
    const email = `after-commit-${Date.now()}@example.test`;
    await m
      .get<RegistrationService>(RegistrationService)
      .register({ email, password: 'long enough password' }, meta);
    expect(mailer.sent.length).toBe(before + 1);
  });

  it('a transaction that issues a mail and then rolls back sends nothing', async () => {
    const u = await createAuthenticatedUser(m, { verified: false });
    const before = mailer.sent.length;
    const auth = m.get<AccountMailService>(AccountMailService);
    const user = (await m.get<UsersRepository>(UsersRepository).findById(u.userId))!;
    await expect(
      m.get<Transactions>(Transactions).run(async (tx) => {
        await auth.issueVerification(tx, user); // inserts the token and queues the mail after COMMIT
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(mailer.sent.length).toBe(before);
    expect(
      await m.dataSource.query(`SELECT 1 FROM one_time_tokens WHERE user_id = $1`, [u.userId]),
    ).toHaveLength(0);
    // the same call committed does mail: the assertion above can fail
    await m.get<Transactions>(Transactions).run((tx) => auth.issueVerification(tx, user));
    expect(mailer.to(u.email)).toHaveLength(1);
  });

  it('unknown emails on resend and reset request go through the same writes, roll them back and mail nothing', async () => {
    const registration = m.get<RegistrationService>(RegistrationService);
    const passwords = m.get<PasswordsService>(PasswordsService);
    const count = async () =>
      (
        await m.dataSource.query(
          `SELECT (SELECT count(*) FROM one_time_tokens)::int AS tokens, (SELECT count(*) FROM audit_events)::int AS events`,
        )
      )[0];
    const before = { rows: await count(), mails: mailer.sent.length };
    await registration.resendVerification(`ghost-${Date.now()}@example.test`, meta);
    await passwords.requestPasswordReset(`ghost-${Date.now()}@example.test`, meta);
    const verified = await createAuthenticatedUser(m); // verified: resend is a no-op too
    const afterUser = await count();
    await registration.resendVerification(verified.email, meta);
    expect(await count()).toEqual(afterUser);
    expect(mailer.sent.length).toBe(before.mails);
    expect(afterUser.tokens).toBe(before.rows.tokens);
    // a real account gets its token, audit event and mail
    await passwords.requestPasswordReset(verified.email, meta);
    expect(await count()).toEqual({ tokens: afterUser.tokens + 1, events: afterUser.events + 1 });
    expect(mailer.to(verified.email)).toHaveLength(1);
  });

  it('a real failure inside the decoy transaction still surfaces (only the decoy rollback is swallowed)', async () => {
    const tokens = m.get<OneTimeTokensRepository>(OneTimeTokensRepository);
    const spy = jest.spyOn(tokens, 'create').mockRejectedValueOnce(new Error('insert failed'));
    try {
      await expect(
        m
          .get<PasswordsService>(PasswordsService)
          .requestPasswordReset(`ghost-${Date.now()}@example.test`, meta),
      ).rejects.toThrow('insert failed');
    } finally {
      spy.mockRestore();
    }
  });

  it('change-password for an account that no longer exists answers 403 and records nothing', async () => {
    await expect(
      asHttp(
        m
          .get<PasswordsService>(PasswordsService)
          .changePassword(
            '00000000-0000-4000-8000-000000000000',
            '00000000-0000-4000-8000-000000000001',
            { currentPassword: 'whatever 123', newPassword: 'brand new passphrase' },
            meta,
          ),
      ),
    ).rejects.toMatchObject({ status: 403, code: 'invalid_current_password' });
    expect(
      await m.dataSource.query(`SELECT 1 FROM audit_events WHERE type = 'password_change_failed'`),
    ).toHaveLength(0);
  });

  it('login re-checks the lock on the locked row: a lock that appeared after the first read wins', async () => {
    const u = await createAuthenticatedUser(m);
    const users = m.get<UsersRepository>(UsersRepository);
    const stale = await users.findByEmail(u.email);
    // Another request locks the account between login's first read and its transaction.
    await m.dataSource.query(`UPDATE users SET locked_until = $2 WHERE id = $1`, [
      u.userId,
      new Date(clock.now().getTime() + 60_000),
    ]);
    const spy = jest.spyOn(users, 'findByEmail').mockResolvedValueOnce(stale);
    try {
      await expect(
        asHttp(
          m.get<LoginService>(LoginService).login({ email: u.email, password: u.password }, meta),
        ),
      ).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    } finally {
      spy.mockRestore();
    }
    const [event] = await m.dataSource.query(
      `SELECT data->>'reason' AS reason FROM audit_events WHERE type = 'login_failed' AND user_id = $1`,
      [u.userId],
    );
    expect(event.reason).toBe('locked');
    const sessions = await m.dataSource.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [
      u.userId,
    ]);
    expect(sessions).toHaveLength(1); // only the factory's
  });

  it('users:create-admin creates a verified admin, or grants admin to an existing account', async () => {
    const command = m.get<CreateAdminCommand>(CreateAdminCommand);
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => out.push(`ERR ${l}`),
      isTTY: false,
      rewrite: () => undefined,
    };
    command.passwordSource = async () => 'admin passphrase 1';
    expect(await command.run({ values: { email: 'Root@Example.test' }, positionals: [], io })).toBe(
      0,
    );
    expect(out[0]).toMatch(/^Created administrator root@example\.test/);
    const [row] = await m.dataSource.query(
      `SELECT roles, email_verified_at FROM users WHERE email = 'root@example.test'`,
    );
    expect(row.roles).toEqual(['user', 'admin']);
    expect(row.email_verified_at).not.toBeNull();
    const tokens = await m
      .get<LoginService>(LoginService)
      .login({ email: 'root@example.test', password: 'admin passphrase 1' }, meta);
    expect(tokens.tokenType).toBe('Bearer');

    const u = await createAuthenticatedUser(m);
    expect(await command.run({ values: { email: u.email }, positionals: [], io })).toBe(0);
    expect(out[1]).toMatch(/Granted admin/);
    const [granted] = await m.dataSource.query(`SELECT roles FROM users WHERE id = $1`, [u.userId]);
    expect(granted.roles).toEqual(['user', 'admin']);
    expect(await command.run({ values: { email: u.email }, positionals: [], io })).toBe(0); // idempotent
    const [again] = await m.dataSource.query(`SELECT roles FROM users WHERE id = $1`, [u.userId]);
    expect(again.roles).toEqual(['user', 'admin']);

    expect(await command.run({ values: {}, positionals: [], io })).toBe(2);
    command.passwordSource = async () => 'short';
    await expect(
      command.run({ values: { email: 'x@example.test' }, positionals: [], io }),
    ).rejects.toBeInstanceOf(AuthError);
    const admins = await m.dataSource.query(
      `SELECT data FROM audit_events WHERE type = 'admin_created' ORDER BY created_at`,
    );
    expect(admins.map((a: { data: { newAccount: boolean } }) => a.data.newAccount)).toEqual([
      true,
      false,
      false,
    ]);
  });

  // The two ways a refresh can lose the compare-and-swap after its look-up, each forced here: under true
  // concurrency (the real-commit block below) which of them a loser takes depends on timing.
  const sessionOutcome = async (userId: string) =>
    (
      await m.dataSource.query(
        `SELECT s.revoke_reason, (SELECT count(*) FROM audit_events a
                                    WHERE a.type = 'refresh_reuse' AND a.user_id = s.user_id)::int AS reuse
           FROM sessions s WHERE s.user_id = $1`,
        [userId],
      )
    )[0];

  it('a refresh whose token was rotated between look-up and swap is reuse: the family is revoked', async () => {
    const u = await createAuthenticatedUser(m);
    const sessions = m.get<SessionsRepository>(SessionsRepository);
    const rotate = sessions.rotate.bind(sessions);
    const raced = jest.spyOn(sessions, 'rotate').mockImplementationOnce(async (manager, values) => {
      await rotate(manager, { ...values, newHash: 'f'.repeat(64) }); // the concurrent winner
      return rotate(manager, values);
    });
    try {
      await expect(
        asHttp(m.get<LoginService>(LoginService).refresh(u.refreshToken, meta)),
      ).rejects.toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    } finally {
      raced.mockRestore();
    }
    expect(await sessionOutcome(u.userId)).toEqual({ revoke_reason: 'refresh_reuse', reuse: 1 });
  });

  it('a refresh of a session revoked between look-up and swap is refused, and is not reuse', async () => {
    const u = await createAuthenticatedUser(m);
    await m.dataSource.query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = 'logout' WHERE user_id = $1`,
      [u.userId],
    );
    await expect(
      asHttp(m.get<LoginService>(LoginService).refresh(u.refreshToken, meta)),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    expect(await sessionOutcome(u.userId)).toEqual({ revoke_reason: 'logout', reuse: 0 });
  });

  it('the session check is one primary-key lookup', async () => {
    const u = await createAuthenticatedUser(m);
    const sid = JSON.parse(Buffer.from(u.accessToken.split('.')[1], 'base64url').toString())
      .sid as string;
    expect(
      await m.get<SessionsRepository>(SessionsRepository).findLive(sid, u.userId, clock.now()),
    ).toMatchObject({ userId: u.userId, roles: ['user'] });
    // Tiny test tables make any plan cheap, so forbid sequential scans and check the PK index serves the lookup.
    const plan = await m.get<Transactions>(Transactions).run(async (tx) => {
      await tx.manager.query(`SET LOCAL enable_seqscan = off`);
      return tx.manager.query(`EXPLAIN (FORMAT JSON) ${FIND_LIVE_SQL}`, [
        sid,
        u.userId,
        clock.now(),
      ]);
    });
    const text = JSON.stringify(plan);
    expect(text).toContain('"Index Name":"PK_sessions"');
    expect(text).toContain('"Index Name":"PK_users"');
  });
});

describeRealCommit('refresh rotation under true concurrency (real commits)', (db) => {
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await buildTestingModule(
      { imports: [ConfigModule, ClockModule, DatabaseModule, AuditModule, MailModule, AuthModule] },
      { create: async () => db.dataSource, destroy: async () => undefined },
      { overrides: [{ provide: MAILER, useValue: new CapturingMailer() }] },
    );
    await moduleRef.init();
  });
  afterAll(() => moduleRef.close());

  it('lets exactly one of many concurrent refreshes of the same token win, and revokes the family', async () => {
    const t = { get: <T>(token: unknown) => moduleRef.get<T>(token as never, { strict: false }) };
    const u = await createAuthenticatedUser(t);
    const auth = t.get<LoginService>(LoginService);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => auth.refresh(u.refreshToken, meta)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => r.reason.code === 'invalid_refresh_token'),
    ).toBe(true);
    // The losers presented a token that had just been rotated: reuse, so the whole family is revoked.
    const [session] = await db.dataSource.query(
      `SELECT revoked_at, revoke_reason FROM sessions WHERE user_id = $1`,
      [u.userId],
    );
    expect(session.revoke_reason).toBe('refresh_reuse');
    await expect(
      auth.refresh(
        (won[0] as PromiseFulfilledResult<{ refreshToken: string }>).value.refreshToken,
        meta,
      ),
    ).rejects.toMatchObject({ code: 'invalid_refresh_token' });
    const reuse = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'refresh_reuse' AND user_id = $1`,
      [u.userId],
    );
    expect(reuse[0].n).toBeGreaterThanOrEqual(1);
  });

  it('keeps registration unique under concurrent sign-ups of the same address', async () => {
    const auth = moduleRef.get(RegistrationService);
    const email = `race-${Date.now()}@example.test`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        auth.register({ email, password: 'long enough password' }, meta),
      ),
    );
    expect(results).toHaveLength(5);
    const [{ n }] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM users WHERE email = $1`,
      [email],
    );
    expect(n).toBe(1);
  });
});
