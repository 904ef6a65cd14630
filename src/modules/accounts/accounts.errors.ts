import { DomainError } from '../../common/errors/domain.error';

export enum AccountsErrorCode {
  ACCOUNT_NOT_FOUND = 'account_not_found',
  INVALID_CURSOR = 'invalid_cursor',
  INVALID_DATE_RANGE = 'invalid_date_range',
}

export class AccountsError extends DomainError<AccountsErrorCode> {
  constructor(code: AccountsErrorCode, detail: string) {
    super(code, detail);
  }
}

export const accountNotFound = () =>
  new AccountsError(AccountsErrorCode.ACCOUNT_NOT_FOUND, 'No such account.');
export const invalidCursor = () =>
  new AccountsError(AccountsErrorCode.INVALID_CURSOR, 'The cursor is not valid.');
export const invalidDateRange = (detail: string) =>
  new AccountsError(AccountsErrorCode.INVALID_DATE_RANGE, detail);
