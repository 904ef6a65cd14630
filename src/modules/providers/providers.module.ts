import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { BrokeragesModule } from '../brokerages/brokerages.module';
import { SandboxOAuthServerModule } from '../brokerages/sandbox/oauth-server/sandbox-oauth-server.module';
import { ConnectionsModule } from '../connections/connections.module';
import { EncryptionModule } from '../encryption/encryption.module';
import { TokensModule } from '../tokens/tokens.module';
import { OAuthFlowService } from './oauth-flow.service';
import { OAuthStateEntity } from './oauth-state.entity';
import { OAuthStatesRepository } from './oauth-states.repository';
import { ProvidersController, ProviderTypesController } from './providers.controller';
import { ProvidersService } from './providers.service';

/** HTTP: the brokerage catalog, the user's connections and the OAuth flow (plus the sandbox's own server). */
@Module({
  imports: [
    BrokeragesModule,
    ConnectionsModule,
    DatabaseModule.forFeature([OAuthStateEntity]),
    EncryptionModule,
    SandboxOAuthServerModule,
    TokensModule,
  ],
  controllers: [ProviderTypesController, ProvidersController],
  providers: [OAuthFlowService, OAuthStatesRepository, ProvidersService],
  exports: [ProvidersService],
})
export class ProvidersModule {}
