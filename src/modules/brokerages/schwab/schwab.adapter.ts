import type { BrokerageSettings } from '../../../config/providers.config';
import { OAuthBrokerageAdapter } from '../oauth-brokerage.adapter';

// Quirks live in the settings: the code ends in `@` (Express decodes it once, as Schwab wants);
// the refresh token dies 7 days after the exchange; revocation is undocumented (SCHWAB_REVOKE_URL).
export class SchwabAdapter extends OAuthBrokerageAdapter {
  constructor(settings: BrokerageSettings) {
    super(settings);
  }
}
