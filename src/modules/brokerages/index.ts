export * from './brokerage-adapter';
export * from './brokerage-data.adapter';
export * from './brokerages.module';
