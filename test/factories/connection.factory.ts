import { Transactions } from '../../src/database/transactions';
import { ConnectionsRepository } from '../../src/modules/connections/connections.repository';
import { TokensService } from '../../src/modules/tokens/tokens.service';

/**
 * An active connection of `userId` with a stored access token, written through the providers' repository and
 * the real TokensService (tokens encrypted), inside the current test's transaction or for real in real-commit mode.
 */
export async function createActiveConnection(
  t: { get: <T>(token: any) => T },
  opts: {
    userId: string;
    providerKey: string;
    accessToken: string;
    refreshToken?: string;
    expiresIn?: number;
    now?: Date;
  },
): Promise<string> {
  const now = opts.now ?? new Date();
  return t.get<Transactions>(Transactions).run(async (tx) => {
    const conn = await t.get<ConnectionsRepository>(ConnectionsRepository).insert(tx.manager, {
      userId: opts.userId,
      providerKey: opts.providerKey,
      alias: null,
      status: 'active',
      statusReason: null,
      connectedAt: now,
      disconnectedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await t.get<TokensService>(TokensService).storeFromExchange(
      tx.manager,
      { id: conn.id, userId: opts.userId, providerKey: opts.providerKey, status: 'active' },
      {
        accessToken: opts.accessToken,
        refreshToken: opts.refreshToken ?? `rt-${conn.id}`,
        expiresIn: opts.expiresIn ?? 3600,
      },
    );
    return conn.id;
  });
}
