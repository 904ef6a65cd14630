export * from './oauth-flow.service';
export * from './oauth-state.entity';
export * from './providers.module';
export * from './providers.service';
