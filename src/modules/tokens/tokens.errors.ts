import { DomainError } from '../../common/errors/domain.error';

export enum TokensErrorCode {
  NOT_CONNECTED = 'not_connected',
  REAUTH_REQUIRED = 'reauth_required',
  BROKERAGE_UNAVAILABLE = 'brokerage_unavailable',
  TOO_MANY_REFRESHES = 'too_many_refreshes',
}

const MESSAGES: Record<TokensErrorCode, string> = {
  [TokensErrorCode.NOT_CONNECTED]:
    'The connection has no tokens; complete the authorisation first.',
  [TokensErrorCode.REAUTH_REQUIRED]:
    'The brokerage no longer accepts this authorisation; authorise the connection again.',
  [TokensErrorCode.BROKERAGE_UNAVAILABLE]:
    'The brokerage is temporarily unavailable; the refresh will be retried.',
  [TokensErrorCode.TOO_MANY_REFRESHES]:
    'Too many refreshes of your connections are in progress; wait for them to finish.',
};

export class TokensError extends DomainError<TokensErrorCode> {
  constructor(code: TokensErrorCode, details: { retryAfterSeconds?: number } = {}) {
    super(code, MESSAGES[code], details);
  }

  static unavailable(retryAt: Date, now: Date): TokensError {
    const retryAfterSeconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
    return new TokensError(TokensErrorCode.BROKERAGE_UNAVAILABLE, { retryAfterSeconds });
  }
}
