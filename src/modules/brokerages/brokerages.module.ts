import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { BROKERAGE_ADAPTERS, BrokerageAdapter } from './brokerage-adapter';
import { SandboxAdapter } from './sandbox/sandbox.adapter';
import { SchwabAdapter } from './schwab/schwab.adapter';

export function createBrokerageAdapters(config: AppConfig): Map<string, BrokerageAdapter> {
  const adapters = new Map<string, BrokerageAdapter>();
  adapters.set('schwab', new SchwabAdapter(config.providers.schwab));
  if (config.providers.sandbox)
    adapters.set('sandbox', new SandboxAdapter(config.providers.sandbox));
  return adapters;
}

/**
 * The brokerage adapters (no database, no HTTP routes of ours): a leaf used by `providers` (the OAuth flow) and
 * `tokens` (refresh, revoke). Tests replace BROKERAGE_ADAPTERS to add doubles.
 */
@Module({
  providers: [
    { provide: BROKERAGE_ADAPTERS, inject: [APP_CONFIG], useFactory: createBrokerageAdapters },
  ],
  exports: [BROKERAGE_ADAPTERS],
})
export class BrokeragesModule {}
