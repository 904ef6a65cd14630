import { AuditEventEntity } from '../modules/audit/audit-event.entity';
import { OneTimeTokenEntity } from '../modules/auth/one-time-token.entity';
import { RotatedRefreshTokenEntity, SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/auth/user.entity';
import { SecretEntity } from '../modules/encryption/secret.entity';
import { OAuthStateEntity } from '../modules/providers/oauth-state.entity';
import { ProviderConnectionEntity } from '../modules/providers/provider-connection.entity';
import { ConnectionEventEntity } from '../modules/tokens/connection-event.entity';
import { ProviderTokenEntity } from '../modules/tokens/provider-token.entity';
/**
 * Every TypeORM entity of the application. The migration gate `test/migrations` fails when an entity
 * exists under src/modules but is missing here. Keep alphabetical.
 */
export const ENTITIES: Function[] = [
  AuditEventEntity,
  ConnectionEventEntity,
  OAuthStateEntity,
  OneTimeTokenEntity,
  ProviderConnectionEntity,
  ProviderTokenEntity,
  RotatedRefreshTokenEntity,
  SecretEntity,
  SessionEntity,
  UserEntity,
];
