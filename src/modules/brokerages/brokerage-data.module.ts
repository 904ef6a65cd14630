import { Module } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { BROKERAGE_DATA_ADAPTERS, BrokerageDataAdapter } from './brokerage-data.adapter';
import { SandboxDataAdapter } from './sandbox/sandbox-data.adapter';
import { SchwabDataAdapter } from './schwab/schwab-data.adapter';

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

/** The brokerages' data APIs (no database). Tests replace BROKERAGE_DATA_ADAPTERS to add doubles. */
@Module({
  providers: [
    {
      provide: BROKERAGE_DATA_ADAPTERS,
      inject: [APP_CONFIG, Clock],
      useFactory: createBrokerageDataAdapters,
    },
  ],
  exports: [BROKERAGE_DATA_ADAPTERS],
})
export class BrokerageDataModule {}
