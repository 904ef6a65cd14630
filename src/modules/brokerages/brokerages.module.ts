import { Module } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { BROKERAGE_ADAPTERS, BrokerageAdapter } from './brokerage-adapter';
import { BROKERAGE_DATA_ADAPTERS, BrokerageDataAdapter } from './brokerage-data.adapter';
import { SandboxDataAdapter } from './sandbox/sandbox-data.adapter';
import { SandboxAdapter } from './sandbox/sandbox.adapter';
import { SchwabDataAdapter } from './schwab/schwab-data.adapter';
import { SchwabAdapter } from './schwab/schwab.adapter';

export function createBrokerageAdapters(config: AppConfig): Map<string, BrokerageAdapter> {
  const adapters = new Map<string, BrokerageAdapter>();
  adapters.set('schwab', new SchwabAdapter(config.providers.schwab));
  if (config.providers.sandbox)
    adapters.set('sandbox', new SandboxAdapter(config.providers.sandbox));
  return adapters;
}

export function createBrokerageDataAdapters(
  config: AppConfig,
  clock: Clock,
): Map<string, BrokerageDataAdapter> {
  const adapters = new Map<string, BrokerageDataAdapter>();
  adapters.set('schwab', new SchwabDataAdapter(config.sync));
  if (config.providers.sandbox) {
    adapters.set('sandbox', new SandboxDataAdapter(clock, () => config.sync.sandboxDataFail));
  }
  return adapters;
}

// A leaf: no database, no HTTP routes of ours. Tests replace either adapter map to add doubles.
@Module({
  providers: [
    { provide: BROKERAGE_ADAPTERS, inject: [APP_CONFIG], useFactory: createBrokerageAdapters },
    {
      provide: BROKERAGE_DATA_ADAPTERS,
      inject: [APP_CONFIG, Clock],
      useFactory: createBrokerageDataAdapters,
    },
  ],
  exports: [BROKERAGE_ADAPTERS, BROKERAGE_DATA_ADAPTERS],
})
export class BrokeragesModule {}
