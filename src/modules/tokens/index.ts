export * from './token-store.service';
export * from './tokens.errors';
export * from './tokens.module';
export * from './tokens.service';
