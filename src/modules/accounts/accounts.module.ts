import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { FinancialDataRepository } from './financial-data.repository';

/** Financial data: tables, the REST read side, and the write repository the sync module imports. */
@Module({
  controllers: [AccountsController],
  providers: [AccountsRepository, AccountsService, FinancialDataRepository],
  exports: [FinancialDataRepository],
})
export class AccountsModule {}
