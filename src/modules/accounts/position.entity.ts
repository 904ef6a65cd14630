import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { BrokerageAccountEntity, DECIMAL } from './brokerage-account.entity';

/** The latest positions snapshot of an account: replaced as a whole by each sync. */
@Entity({ name: 'account_positions' })
@Index('IDX_account_positions_account', ['accountId'])
export class PositionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_account_positions' })
  id: string;

  @ForeignKey(() => BrokerageAccountEntity, {
    name: 'FK_account_positions_account',
    onDelete: 'CASCADE',
  })
  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ type: 'text' })
  symbol: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'asset_type', type: 'text' })
  assetType: string;

  @Column({ ...DECIMAL })
  quantity: string;

  @Column({ name: 'average_price', ...DECIMAL, nullable: true })
  averagePrice: string | null;

  @Column({ name: 'market_value', ...DECIMAL })
  marketValue: string;

  @Column({ type: 'text' })
  currency: string;
}
