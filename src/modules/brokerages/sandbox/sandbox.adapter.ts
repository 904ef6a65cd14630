import type { SandboxSettings } from '../../../config/providers.config';
import { OAuthBrokerageAdapter } from '../oauth-brokerage.adapter';

// Only settings pointing at /sandbox/oauth/*, so it exercises exactly Schwab's HTTP code path.
export class SandboxAdapter extends OAuthBrokerageAdapter {
  constructor(settings: SandboxSettings) {
    super(settings);
  }
}
