import { Module } from '@nestjs/common';
import type { AppConfig } from '../../../config';
import { APP_CONFIG } from '../../../config';
import { BROKERAGE_ADAPTERS, BrokerageAdapter } from './brokerage-adapter';
import { SandboxAdapter } from './sandbox/sandbox.adapter';
import { SchwabAdapter } from './schwab/schwab.adapter';

export function createBrokerageAdapters(config: AppConfig): Map<string, BrokerageAdapter> {
  const adapters = new Map<string, BrokerageAdapter>();
  adapters.set('schwab', new SchwabAdapter(config.providers.schwab));
  if (config.providers.sandbox) adapters.set('sandbox', new SandboxAdapter(config.providers.sandbox));
  return adapters;
}

/**
 * A leaf module (depends on config only) so both `providers` (the flow) and `tokens` (refresh, revoke) use the
 * same adapters without a dependency cycle. Tests replace BROKERAGE_ADAPTERS to add doubles.
 */
@Module({
  providers: [{ provide: BROKERAGE_ADAPTERS, inject: [APP_CONFIG], useFactory: createBrokerageAdapters }],
  exports: [BROKERAGE_ADAPTERS],
})
export class BrokerageAdaptersModule {}
