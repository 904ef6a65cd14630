export * from './connection-status';
export * from './connections.errors';
export * from './connections.module';
export * from './connections.service';
export * from './provider-connection.entity';
