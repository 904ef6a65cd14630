export * from './brokerage-adapter';
export * from './brokerages.module';
