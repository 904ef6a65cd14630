import { Module } from '@nestjs/common';
import { EncryptionModule } from '../encryption/encryption.module';
import { TokensModule } from '../tokens/tokens.module';
import { BrokerageAdaptersModule } from './adapters/brokerage-adapters.module';
import { SandboxOAuthController } from './adapters/sandbox/sandbox-oauth.controller';
import { ConnectionsRepository } from './connections.repository';
import { OAuthStatesRepository } from './oauth-states.repository';
import { ProvidersController, ProviderTypesController } from './providers.controller';
import { ProvidersService } from './providers.service';

/**
 * Brokerage catalog, connections and the OAuth flow; the sandbox brokerage's authorization server (answers 404
 * in production, where the sandbox does not exist).
 */
@Module({
  imports: [BrokerageAdaptersModule, EncryptionModule, TokensModule],
  controllers: [ProviderTypesController, ProvidersController, SandboxOAuthController],
  providers: [ConnectionsRepository, OAuthStatesRepository, ProvidersService],
  exports: [ProvidersService],
})
export class ProvidersModule {}
