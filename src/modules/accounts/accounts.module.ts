import { Module } from '@nestjs/common';
import { DatabaseModule } from '../../database/database.module';
import { AccountTransactionEntity } from './account-transaction.entity';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { BalancePointEntity } from './balance-point.entity';
import { BrokerageAccountEntity } from './brokerage-account.entity';
import { FinancialDataRepository } from './financial-data.repository';
import { PositionEntity } from './position.entity';

/** Financial data: tables, the REST read side, and the write repository the sync module imports. */
@Module({
  imports: [
    DatabaseModule.forFeature([
      AccountTransactionEntity,
      BalancePointEntity,
      BrokerageAccountEntity,
      PositionEntity,
    ]),
  ],
  controllers: [AccountsController],
  providers: [AccountsRepository, AccountsService, FinancialDataRepository],
  exports: [FinancialDataRepository],
})
export class AccountsModule {}
