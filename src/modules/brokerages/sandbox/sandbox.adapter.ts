import type { SandboxSettings } from '../../../config/providers.config';
import { OAuthBrokerageAdapter } from '../oauth-brokerage.adapter';

/**
 * The development brokerage: nothing but configuration pointing the shared OAuth client at the app's own
 * `/sandbox/oauth/*` endpoints (SandboxOAuthController), so it exercises exactly Schwab's HTTP code path.
 */
export class SandboxAdapter extends OAuthBrokerageAdapter {
  constructor(settings: SandboxSettings) {
    super(settings);
  }
}
