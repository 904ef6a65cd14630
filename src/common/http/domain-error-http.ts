import { HttpStatus } from '@nestjs/common';
import { AccountsErrorCode } from '../../modules/accounts/accounts.errors';
import { SyncErrorCode } from '../../modules/sync/sync.errors';
import type { DomainError } from '../errors/domain.error';

/** The one table from domain error codes to HTTP: services never choose a status. */
const STATUS: Record<string, HttpStatus> = {
  [AccountsErrorCode.AccountNotFound]: HttpStatus.NOT_FOUND,
  [AccountsErrorCode.InvalidCursor]: HttpStatus.BAD_REQUEST,
  [AccountsErrorCode.InvalidDateRange]: HttpStatus.BAD_REQUEST,
  [SyncErrorCode.ConnectionNotFound]: HttpStatus.NOT_FOUND,
  [SyncErrorCode.ConnectionNotActive]: HttpStatus.CONFLICT,
  [SyncErrorCode.SyncTooSoon]: HttpStatus.TOO_MANY_REQUESTS,
};

export interface DomainErrorHttp {
  status: number;
  headers: Record<string, string>;
}

/** Status and headers of a domain error; an unmapped code is a bug, hence a 500 (the filter logs it). */
export function domainErrorHttp(err: DomainError): DomainErrorHttp {
  const headers: Record<string, string> = {};
  const retry = err.details.retryAfterSeconds;
  if (typeof retry === 'number') headers['Retry-After'] = String(retry);
  return { status: STATUS[err.code] ?? HttpStatus.INTERNAL_SERVER_ERROR, headers };
}
