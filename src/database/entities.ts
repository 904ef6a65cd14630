import { AuditEventEntity } from '../modules/audit/audit-event.entity';
import { OneTimeTokenEntity } from '../modules/auth/one-time-token.entity';
import { RotatedRefreshTokenEntity, SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/auth/user.entity';
import { SecretEntity } from '../modules/encryption/secret.entity';
/**
 * Every TypeORM entity of the application. The migration gate `test/migrations` fails when an entity
 * exists under src/modules but is missing here. Keep alphabetical.
 */
export const ENTITIES: Function[] = [
  AuditEventEntity,
  OneTimeTokenEntity,
  RotatedRefreshTokenEntity,
  SecretEntity,
  SessionEntity,
  UserEntity,
];
