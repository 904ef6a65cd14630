/**
 * What a client should do about each stable `code` (src/app.errors.ts PROBLEM_CODES, the `Problem.code` enum),
 * and the statuses it comes with: the source of docs/errors.md. A unit test keeps the three in step.
 */
export interface ErrorCodeInfo {
  status: readonly number[];
  action: string;
}

/** Produced by the HTTP layer itself (parsing, routing, the edge guards, the filter's fallbacks). */
const HTTP_CODES = {
  validation_failed: {
    status: [400],
    action: 'Fix the fields listed in `errors[]` and send again.',
  },
  malformed_json: { status: [400], action: 'Send a syntactically valid JSON body.' },
  malformed_unicode: {
    status: [400],
    action: 'Send well-formed UTF-8 text (no lone UTF-16 surrogates such as `\\ud800`).',
  },
  body_too_complex: {
    status: [400],
    action: 'Flatten the body: at most 16 levels of nesting and 1,000 fields.',
  },
  invalid_input: {
    status: [400],
    action: 'A value has an impossible format (e.g. a NUL byte); correct it.',
  },
  bad_request: {
    status: [400],
    action: 'The request could not be read (e.g. a malformed id or percent-encoding); correct it.',
  },
  unauthorized: {
    status: [401],
    action: 'Send a valid access token (`Authorization: Bearer …`); refresh it if it expired.',
  },
  forbidden: { status: [403], action: 'The account lacks the role for this route; do not retry.' },
  not_found: {
    status: [404],
    action: 'The route or resource does not exist, or belongs to someone else; do not retry.',
  },
  conflict: { status: [409], action: 'The resource already exists; reload and reconcile.' },
  payload_too_large: { status: [413], action: 'Send a smaller body (100 KiB by default).' },
  unsupported_media_type: {
    status: [415],
    action: 'Send the body as `Content-Type: application/json`.',
  },
  too_many_requests: {
    status: [429],
    action: 'Wait for `Retry-After` seconds before trying again.',
  },
  internal_error: {
    status: [500],
    action: 'A server fault: retry later and report the `requestId`.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Thrown by the feature modules (collected from their call sites). */
const DOMAIN_CODES = {
  account_not_found: {
    status: [404],
    action:
      'The account does not exist or is not yours (a disconnected one is gone); reload the list.',
  },
  invalid_date_range: {
    status: [400],
    action: 'Send `from`/`to` as `YYYY-MM-DD` with `from` not after `to`.',
  },
  connection_not_active: {
    status: [409],
    action: 'Only an active connection syncs: re-authorise it first (`POST …/authorization`).',
  },
  sync_too_soon: {
    status: [429],
    action: 'The connection was synced moments ago: wait `Retry-After` seconds.',
  },
  invalid_credentials: {
    status: [401],
    action: 'Wrong email or password (or the account is locked for a while); ask the user again.',
  },
  invalid_refresh_token: {
    status: [401],
    action: 'The session is over: send the user to sign in again.',
  },
  invalid_current_password: {
    status: [403],
    action: 'Ask the user for the current password again.',
  },
  email_not_verified: {
    status: [403],
    action: 'Ask the user to verify the email address (resend the mail if needed).',
  },
  invalid_password: { status: [400], action: 'Choose a password of 8 to 128 characters.' },
  invalid_token: {
    status: [400],
    action: 'The link is invalid, expired or used: request a new mail.',
  },
  rate_limiter_unavailable: { status: [503], action: 'Temporary: retry after a short wait.' },
  unknown_provider: { status: [400], action: 'Use a `key` from `GET /provider-types`.' },
  provider_disabled: {
    status: [400, 409],
    action: 'The brokerage is not configured on this server; choose another one.',
  },
  invalid_cursor: { status: [400], action: 'Restart the listing without `cursor`.' },
  not_connected: {
    status: [409],
    action: 'Complete the authorisation (`POST …/authorization`) first.',
  },
  reauth_required: {
    status: [409],
    action: 'Start the authorisation again (`POST …/authorization`).',
  },
  brokerage_unavailable: {
    status: [502, 503],
    action: 'The brokerage is unreachable or busy: retry after `Retry-After` seconds (when sent).',
  },
  database_unavailable: {
    status: [503],
    action: 'Temporary: the instance is not ready; retry or use another instance.',
  },
  redis_unavailable: {
    status: [503],
    action: 'Temporary: the instance cannot reach Redis; retry or use another instance.',
  },
  invalid_state: {
    status: [400],
    action: 'The authorisation is unknown or superseded: start it again.',
  },
  state_mismatch: {
    status: [400],
    action: 'Finish the flow in the browser that started it, or start again.',
  },
  state_expired: {
    status: [400],
    action: 'The 10 minutes are over: start the authorisation again.',
  },
  state_replayed: {
    status: [400],
    action: 'This authorisation was already completed; reload the connection.',
  },
  access_denied: {
    status: [400],
    action: 'The user declined at the brokerage; offer to start again.',
  },
  authorization_failed: {
    status: [400],
    action: 'The brokerage reported an error; start the authorisation again.',
  },
  missing_code: {
    status: [400],
    action: 'The callback carried no code; start the authorisation again.',
  },
  exchange_failed: {
    status: [400],
    action: 'The brokerage refused the code; start the authorisation again.',
  },
  too_many_refreshes: {
    status: [429],
    action:
      'Too many of your refreshes wait on the brokerage: wait for them to finish and try again.',
  },
  provider_unavailable: {
    status: [400],
    action: 'The brokerage is no longer configured on this server.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export const ERROR_DOCS: Readonly<Record<string, ErrorCodeInfo>> = {
  ...HTTP_CODES,
  ...DOMAIN_CODES,
};
