import { getMetadataArgsStorage } from 'typeorm';
import { ConnectionEventEntity } from '../connections/connection-event.entity';
import { ProviderTokenEntity } from './provider-token.entity';

const columns = (target: Function) =>
  getMetadataArgsStorage().columns.filter((c) => c.target === target);

describe('tokens entities', () => {
  it('use snake_case names, timestamptz instants and database-side defaults for the event trail', () => {
    const event = Object.fromEntries(
      columns(ConnectionEventEntity).map((c) => [c.propertyName, c.options]),
    );
    expect(event.createdAt).toMatchObject({ name: 'created_at', type: 'timestamptz' });
    expect((event.createdAt.default as () => string)()).toBe('clock_timestamp()');
    expect((event.data.default as () => string)()).toBe("'{}'");
    const token = Object.fromEntries(
      columns(ProviderTokenEntity).map((c) => [c.propertyName, c.options]),
    );
    for (const p of [
      'accessTokenExpiresAt',
      'refreshTokenExpiresAt',
      'obtainedAt',
      'lastRefreshedAt',
      'refreshDueAt',
      'nextAttemptAt',
      'createdAt',
      'updatedAt',
    ]) {
      expect(token[p].type).toBe('timestamptz');
      expect(token[p].name).toMatch(/^[a-z_]+$/);
    }
  });
});
