import { DomainError } from '../../common/errors/domain.error';

export enum ConnectionsErrorCode {
  NOT_FOUND = 'not_found',
}

const MESSAGES: Record<ConnectionsErrorCode, string> = {
  [ConnectionsErrorCode.NOT_FOUND]: 'No such connection.',
};

export class ConnectionsError extends DomainError<ConnectionsErrorCode> {
  constructor(code: ConnectionsErrorCode) {
    super(code, MESSAGES[code]);
  }
}
