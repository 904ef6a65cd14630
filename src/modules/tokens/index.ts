export * from './backoff';
export * from './connection-event.entity';
export * from './provider-token.entity';
export * from './token-sweep.service';
export * from './tokens.module';
export * from './tokens.service';
