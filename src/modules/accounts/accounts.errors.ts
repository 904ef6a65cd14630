import { DomainError } from '../../common/errors/domain.error';

export enum AccountsErrorCode {
  AccountNotFound = 'account_not_found',
  InvalidCursor = 'invalid_cursor',
  InvalidDateRange = 'invalid_date_range',
}

export class AccountsError extends DomainError<AccountsErrorCode> {}

export const accountNotFound = () =>
  new AccountsError(AccountsErrorCode.AccountNotFound, 'No such account.');
export const invalidCursor = () =>
  new AccountsError(AccountsErrorCode.InvalidCursor, 'The cursor is not valid.');
export const invalidDateRange = (detail: string) =>
  new AccountsError(AccountsErrorCode.InvalidDateRange, detail);
