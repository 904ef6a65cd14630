import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { DatabaseModule } from '../../database/database.module';
import { EncryptionService } from './encryption.service';
import { KeyRing } from './key-ring';
import { KeyRotationService } from './key-rotation.service';
import { SecretEntity } from './secret.entity';
import { SecretRepository } from './secret.repository';

/** Secrets at rest (see encryption.service.ts and docs/encryption.md). Needs DatabaseModule and ClockModule. */
@Module({
  imports: [DatabaseModule.forFeature([SecretEntity])],
  providers: [
    {
      provide: KeyRing,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new KeyRing(config.encryption.keys),
    },
    SecretRepository,
    EncryptionService,
    KeyRotationService,
  ],
  exports: [EncryptionService, KeyRotationService],
})
export class EncryptionModule {}
