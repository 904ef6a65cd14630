import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { FinancialDataRepository } from './financial-data.repository';

/**
 * Financial data: its tables, the REST read side, and the write repository the sync uses (exported; the sync
 * module imports this one, never the other way round).
 */
@Module({
  controllers: [AccountsController],
  providers: [AccountsRepository, AccountsService, FinancialDataRepository],
  exports: [FinancialDataRepository],
})
export class AccountsModule {}
