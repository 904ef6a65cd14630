import { AccountTransactionEntity } from '../modules/accounts/account-transaction.entity';
import { BalancePointEntity } from '../modules/accounts/balance-point.entity';
import { BrokerageAccountEntity } from '../modules/accounts/brokerage-account.entity';
import { PositionEntity } from '../modules/accounts/position.entity';
import { AuditEventEntity } from '../modules/audit/audit-event.entity';
import { OneTimeTokenEntity } from '../modules/auth/one-time-token.entity';
import { RotatedRefreshTokenEntity, SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/auth/user.entity';
import { SecretEntity } from '../modules/encryption/secret.entity';
import { OAuthStateEntity } from '../modules/providers/oauth-state.entity';
import { ProviderConnectionEntity } from '../modules/providers/provider-connection.entity';
import { ConnectionEventEntity } from '../modules/tokens/connection-event.entity';
import { ConnectionSyncEntity } from '../modules/sync/connection-sync.entity';
import { ProviderTokenEntity } from '../modules/tokens/provider-token.entity';
/**
 * Every TypeORM entity of the application. The migration gate `test/migrations` fails when an entity
 * exists under src/modules but is missing here. Keep alphabetical.
 */
export const ENTITIES: Function[] = [
  AccountTransactionEntity,
  AuditEventEntity,
  BalancePointEntity,
  BrokerageAccountEntity,
  ConnectionEventEntity,
  ConnectionSyncEntity,
  OAuthStateEntity,
  OneTimeTokenEntity,
  PositionEntity,
  ProviderConnectionEntity,
  ProviderTokenEntity,
  RotatedRefreshTokenEntity,
  SecretEntity,
  SessionEntity,
  UserEntity,
];
