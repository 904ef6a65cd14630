import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BrokerageAccountEntity, DECIMAL } from './brokerage-account.entity';

// De-duplicated on the brokerage's id: a re-sync of an overlapping window inserts nothing.
@Entity({ name: 'account_transactions' })
@Index('UQ_account_transactions_account_external', ['accountId', 'externalId'], { unique: true })
@Index('IDX_account_transactions_account_date', ['accountId', 'date', 'id'])
@Index('IDX_account_transactions_account_type_date', ['accountId', 'type', 'date', 'id'])
export class AccountTransactionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_account_transactions' })
  id: string;

  @ForeignKey(() => BrokerageAccountEntity, {
    name: 'FK_account_transactions_account',
    onDelete: 'CASCADE',
  })
  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId: string;

  // TypeORM returns `date` columns as strings.
  @Column({ type: 'date' })
  date: string;

  @Column({ name: 'settlement_date', type: 'date', nullable: true })
  settlementDate: string | null;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', nullable: true })
  symbol: string | null;

  @Column({ ...DECIMAL, nullable: true })
  quantity: string | null;

  @Column({ ...DECIMAL, nullable: true })
  price: string | null;

  @Column({ ...DECIMAL })
  amount: string;

  @Column({ type: 'text' })
  currency: string;
}
