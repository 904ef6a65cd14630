import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BrokerageAccountEntity, DECIMAL } from './brokerage-account.entity';

/** The balance history: one point per account per sync, append-only. */
@Entity({ name: 'account_balances' })
@Index('IDX_account_balances_account_as_of', ['accountId', 'asOf'])
export class BalancePointEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_account_balances' })
  id: string;

  @ForeignKey(() => BrokerageAccountEntity, {
    name: 'FK_account_balances_account',
    onDelete: 'CASCADE',
  })
  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ name: 'as_of', type: 'timestamptz' })
  asOf: Date;

  @Column({ ...DECIMAL })
  cash: string;

  @Column({ name: 'market_value', ...DECIMAL })
  marketValue: string;

  @Column({ ...DECIMAL })
  total: string;

  @Column({ type: 'text' })
  currency: string;
}
