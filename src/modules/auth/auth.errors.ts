import { DomainError } from '../../common/errors/domain.error';

export enum AuthErrorCode {
  INVALID_CREDENTIALS = 'invalid_credentials',
  INVALID_REFRESH_TOKEN = 'invalid_refresh_token',
  INVALID_CURRENT_PASSWORD = 'invalid_current_password',
  INVALID_TOKEN = 'invalid_token',
  INVALID_PASSWORD = 'invalid_password',
  UNAUTHORIZED = 'unauthorized',
  SESSION_NOT_FOUND = 'not_found',
}

const MESSAGES: Record<AuthErrorCode, string> = {
  // One message for every login failure (unknown email, wrong password, locked): nothing to enumerate.
  [AuthErrorCode.INVALID_CREDENTIALS]: 'Invalid email or password.',
  [AuthErrorCode.INVALID_REFRESH_TOKEN]: 'The refresh token is invalid or expired.',
  [AuthErrorCode.INVALID_CURRENT_PASSWORD]: 'The current password is not correct.',
  [AuthErrorCode.INVALID_TOKEN]: 'The token is invalid, expired or already used.',
  [AuthErrorCode.INVALID_PASSWORD]: 'The password does not meet the length rules.',
  [AuthErrorCode.UNAUTHORIZED]: 'Authentication required.',
  [AuthErrorCode.SESSION_NOT_FOUND]: 'Session not found.',
};

export class AuthError extends DomainError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message = MESSAGES[code]) {
    super(code, message);
  }
}
