import { randomUUID } from 'node:crypto';
import { Clock } from '../../src/common/clock';
import { Transactions } from '../../src/database/transactions';
import { LoginService } from '../../src/modules/auth/login.service';
import { PasswordService } from '../../src/modules/auth/password.service';
import { UsersRepository } from '../../src/modules/auth/users.repository';

export interface AuthenticatedUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  authHeader: { Authorization: string };
}

export interface CreateUserOptions {
  verified?: boolean;
  email?: string;
  password?: string;
  roles?: string[];
}

export const DEFAULT_TEST_PASSWORD = 'correct horse battery staple';

// argon2id costs ~20–40 ms; most tests share the default password, so hash it once per worker.
const hashes = new Map<string, Promise<string>>();

/**
 * A user with a live session, created through the auth module's own services (no HTTP, no mail), inside
 * the current test's transaction. Unique email per call unless one is given.
 */
export async function createAuthenticatedUser(
  t: { get: <T>(token: any) => T },
  opts: CreateUserOptions = {},
): Promise<AuthenticatedUser> {
  const email = (opts.email ?? `user-${randomUUID()}@example.test`).toLowerCase();
  const password = opts.password ?? DEFAULT_TEST_PASSWORD;
  const passwords = t.get<PasswordService>(PasswordService);
  if (!hashes.has(password)) hashes.set(password, passwords.hash(password));
  const passwordHash = await hashes.get(password)!;
  const now = t.get<Clock>(Clock).now();

  const user = await t.get<Transactions>(Transactions).run((tx) =>
    t.get<UsersRepository>(UsersRepository).insertIfAbsent(tx.manager, {
      email,
      name: 'Test User',
      passwordHash,
      roles: opts.roles ?? ['user'],
      emailVerifiedAt: opts.verified === false ? null : now,
      now,
    }),
  );
  if (!user) throw new Error(`createAuthenticatedUser: ${email} already exists`);
  const tokens = await t
    .get<LoginService>(LoginService)
    .login({ email, password }, { ip: '127.0.0.1', userAgent: 'factory' });
  return {
    userId: user.id,
    email,
    password,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    authHeader: { Authorization: `Bearer ${tokens.accessToken}` },
  };
}
