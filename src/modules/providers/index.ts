export * from './adapters/brokerage-adapter';
export * from './adapters/brokerage-adapters.module';
export * from './oauth-state.entity';
export * from './provider-connection.entity';
export * from './providers.module';
export * from './providers.service';
