import { DomainError } from '../../common/errors/domain.error';

export enum ProvidersErrorCode {
  UNKNOWN_PROVIDER = 'unknown_provider',
  PROVIDER_DISABLED = 'provider_disabled',
  INVALID_CURSOR = 'invalid_cursor',
}

const MESSAGES: Record<ProvidersErrorCode, string> = {
  [ProvidersErrorCode.UNKNOWN_PROVIDER]: 'There is no provider with this key.',
  [ProvidersErrorCode.PROVIDER_DISABLED]: 'This provider is not configured on this server.',
  [ProvidersErrorCode.INVALID_CURSOR]: 'The cursor is not valid.',
};

export class ProvidersError extends DomainError<ProvidersErrorCode> {
  /** `existingConnection`: the provider went away under a connection the user already has (a conflict). */
  constructor(code: ProvidersErrorCode, context: { existingConnection?: boolean } = {}) {
    super(code, MESSAGES[code], {}, context);
  }
}
