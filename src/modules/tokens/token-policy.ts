import { Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import type { TokenSet } from '../brokerages/brokerage-adapter';
import type { ConnectionStatus } from '../connections/connection-status';
import type { TokenRow } from './provider-tokens.repository';
import { TokensError, TokensErrorCode } from './tokens.errors';

const DEFAULT_ACCESS_TTL_S = 1800;

@Injectable()
export class TokenPolicy {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  // 30 minutes when the brokerage did not say.
  accessExpiry(tokens: TokenSet, now: Date): Date {
    return new Date(now.getTime() + (tokens.expiresIn ?? DEFAULT_ACCESS_TTL_S) * 1000);
  }

  needsRefresh(r: TokenRow, now: Date): boolean {
    return (
      r.status === 'degraded' ||
      r.accessTokenExpiresAt.getTime() - now.getTime() <= this.config.providers.refreshThresholdMs
    );
  }

  // Never sooner than halfway to expiry (a token shorter-lived than the threshold).
  nextDue(accessExp: Date, now: Date): Date {
    const left = accessExp.getTime() - now.getTime();
    return new Date(
      now.getTime() +
        Math.max(left - this.config.providers.refreshThresholdMs, Math.floor(left / 2), 0),
    );
  }

  statusAfterSuccess(refreshExp: Date | null, now: Date): ConnectionStatus {
    return refreshExp &&
      refreshExp.getTime() - now.getTime() <= this.config.providers.expiringWindowMs
      ? 'expiring'
      : 'active';
  }

  unusableError(row: TokenRow | null): TokensError | undefined {
    if (!row || row.status === 'pending_auth' || row.status === 'disconnected')
      return new TokensError(TokensErrorCode.NOT_CONNECTED);
    if (row.status === 'reauth_required') return new TokensError(TokensErrorCode.REAUTH_REQUIRED);
    return undefined;
  }
}
