import { DomainError } from '../../common/errors/domain.error';

export enum SyncErrorCode {
  CONNECTION_NOT_ACTIVE = 'connection_not_active',
  SYNC_TOO_SOON = 'sync_too_soon',
}

export class SyncError extends DomainError<SyncErrorCode> {
  constructor(code: SyncErrorCode, detail: string, details: Record<string, unknown> = {}) {
    super(code, detail, details);
  }
}

export const connectionNotActive = (status: string) =>
  new SyncError(SyncErrorCode.CONNECTION_NOT_ACTIVE, 'Only an active connection can be synced.', {
    connectionStatus: status,
  });

export const syncTooSoon = (retryAfterSeconds: number) =>
  new SyncError(
    SyncErrorCode.SYNC_TOO_SOON,
    'The connection was synced moments ago; try again later.',
    {
      retryAfterSeconds,
    },
  );
