import { DomainError } from '../../common/errors/domain.error';

export enum SyncErrorCode {
  ConnectionNotFound = 'connection_not_found',
  ConnectionNotActive = 'connection_not_active',
  SyncTooSoon = 'sync_too_soon',
}

export class SyncError extends DomainError<SyncErrorCode> {}

export const connectionNotFound = () =>
  new SyncError(SyncErrorCode.ConnectionNotFound, 'No such connection.');

export const connectionNotActive = (status: string) =>
  new SyncError(SyncErrorCode.ConnectionNotActive, 'Only an active connection can be synced.', {
    connectionStatus: status,
  });

export const syncTooSoon = (retryAfterSeconds: number) =>
  new SyncError(
    SyncErrorCode.SyncTooSoon,
    'The connection was synced moments ago; try again later.',
    {
      retryAfterSeconds,
    },
  );
