import type { BrokerageSettings } from '../../../config/providers.config';
import { OAuthBrokerageAdapter } from '../oauth-brokerage.adapter';

/**
 * Charles Schwab Trader API. Quirks handled by the shared client and the settings: credentials as HTTP Basic;
 * the callback's `code` ends in `@` (Express decodes it once, which is what the token endpoint wants); the
 * refresh token ends 7 days after the first exchange and refreshing does not extend it
 * (`refreshTokenLifetimeMs`); revocation is undocumented, so it is used only if SCHWAB_REVOKE_URL is set.
 */
export class SchwabAdapter extends OAuthBrokerageAdapter {
  constructor(settings: BrokerageSettings) {
    super(settings);
  }
}
