import type { DomainError, ErrorHttpMapping, ErrorHttpTable } from './common/errors/domain.error';
import { EdgeErrorCode } from './common/errors/edge-error-code';
import { AccountsErrorCode } from './modules/accounts/accounts.errors';
import { AuthErrorCode } from './modules/auth/auth.errors';
import { ConnectionsErrorCode } from './modules/connections/connections.errors';
import { ProvidersErrorCode } from './modules/providers/providers.errors';
import { AUTHORIZATION_FAILURES } from './modules/providers/oauth-flow.service';
import { SyncErrorCode } from './modules/sync/sync.errors';
import { TokensErrorCode } from './modules/tokens/tokens.errors';

const retryAfter = (e: DomainError): Record<string, string> => ({
  'Retry-After': String(e.details.retryAfterSeconds),
});

const ACCOUNTS: ErrorHttpTable<AccountsErrorCode> = {
  [AccountsErrorCode.ACCOUNT_NOT_FOUND]: { status: 404 },
  [AccountsErrorCode.INVALID_CURSOR]: { status: 400 },
  [AccountsErrorCode.INVALID_DATE_RANGE]: { status: 400 },
};

const AUTH: ErrorHttpTable<AuthErrorCode> = {
  [AuthErrorCode.INVALID_CREDENTIALS]: { status: 401 },
  [AuthErrorCode.INVALID_REFRESH_TOKEN]: { status: 401 },
  [AuthErrorCode.INVALID_CURRENT_PASSWORD]: { status: 403 },
  [AuthErrorCode.INVALID_TOKEN]: { status: 400 },
  [AuthErrorCode.INVALID_PASSWORD]: { status: 400 },
  [AuthErrorCode.UNAUTHORIZED]: { status: 401 },
  [AuthErrorCode.SESSION_NOT_FOUND]: { status: 404 },
};

const CONNECTIONS: ErrorHttpTable<ConnectionsErrorCode> = {
  [ConnectionsErrorCode.NOT_FOUND]: { status: 404 },
};

const PROVIDERS: ErrorHttpTable<ProvidersErrorCode> = {
  [ProvidersErrorCode.UNKNOWN_PROVIDER]: { status: 400 },
  // Creating with a disabled provider is a bad request; the provider vanishing under an existing connection a conflict.
  [ProvidersErrorCode.PROVIDER_DISABLED]: {
    status: (e) => (e.context.existingConnection ? 409 : 400),
  },
  [ProvidersErrorCode.INVALID_CURSOR]: { status: 400 },
};

const SYNC: ErrorHttpTable<SyncErrorCode> = {
  [SyncErrorCode.CONNECTION_NOT_ACTIVE]: { status: 409 },
  [SyncErrorCode.SYNC_TOO_SOON]: { status: 429, headers: retryAfter },
};

const TOKENS: ErrorHttpTable<TokensErrorCode> = {
  [TokensErrorCode.NOT_CONNECTED]: { status: 409 },
  [TokensErrorCode.REAUTH_REQUIRED]: { status: 409 },
  [TokensErrorCode.BROKERAGE_UNAVAILABLE]: { status: 503, headers: retryAfter },
  [TokensErrorCode.TOO_MANY_REFRESHES]: { status: 429 },
};

// One code means one thing everywhere, so a code mapped two ways is refused.
export function mergeErrorTables(
  ...tables: Array<Record<string, ErrorHttpMapping>>
): ReadonlyMap<string, ErrorHttpMapping> {
  const merged = new Map<string, ErrorHttpMapping>();
  for (const table of tables) {
    for (const [code, mapping] of Object.entries(table)) {
      const seen = merged.get(code);
      if (seen && (seen.status !== mapping.status || seen.headers !== mapping.headers))
        throw new Error(`error code ${code} is mapped twice`);
      merged.set(code, mapping);
    }
  }
  return merged;
}

export const DOMAIN_ERROR_HTTP = mergeErrorTables(
  ACCOUNTS,
  AUTH,
  CONNECTIONS,
  PROVIDERS,
  SYNC,
  TOKENS,
);

// For the OpenAPI `Problem.code` enum. Statuses Nest raises itself (e.g. 405) add their lower-cased reason
// phrase, which is not listed.
export const PROBLEM_CODES: readonly string[] = [
  ...new Set([
    ...DOMAIN_ERROR_HTTP.keys(),
    ...Object.values(EdgeErrorCode),
    ...AUTHORIZATION_FAILURES,
  ]),
].sort();
