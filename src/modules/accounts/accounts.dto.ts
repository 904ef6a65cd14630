import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ASSET_TYPES, TRANSACTION_TYPES } from '../brokerages/brokerage-data.adapter';
import type { AssetType, TransactionType } from '../brokerages/brokerage-data.adapter';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const money = (example: string) => ({
  type: String,
  example,
  description: 'Exact decimal string.',
});

class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (`nextCursor`).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AccountsQueryDto extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  connectionId?: string;
}

export class TransactionsQueryDto extends PageQuery {
  @ApiPropertyOptional({ format: 'date', description: 'Inclusive, YYYY-MM-DD.' })
  @IsOptional()
  @Matches(DATE)
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Inclusive, YYYY-MM-DD.' })
  @IsOptional()
  @Matches(DATE)
  to?: string;

  @ApiPropertyOptional({ enum: TRANSACTION_TYPES })
  @IsOptional()
  @IsIn(TRANSACTION_TYPES)
  type?: TransactionType;
}

export class BalancesQueryDto {
  @ApiPropertyOptional({ format: 'date', description: 'Inclusive; default 90 days before `to`.' })
  @IsOptional()
  @Matches(DATE)
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Inclusive; default today. At most 366 days after `from`.',
  })
  @IsOptional()
  @Matches(DATE)
  to?: string;
}

export class AccountBalancesView {
  @ApiProperty(money('1234.56')) cash: string;
  @ApiProperty(money('8765.44')) marketValue: string;
  @ApiProperty(money('10000.00')) total: string;
}

export class AccountView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) connectionId: string;
  @ApiProperty() providerKey: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'margin' }) type: string;
  @ApiProperty({ example: '…1234' }) numberMasked: string;
  @ApiProperty({ example: 'USD', description: 'ISO 4217' }) currency: string;
  @ApiProperty({ enum: ['open', 'closed'] }) status: 'open' | 'closed';
  @ApiProperty({ type: AccountBalancesView }) balances: AccountBalancesView;
  @ApiProperty({ format: 'date-time' }) lastSyncedAt: string;
}

export class AccountPage {
  @ApiProperty({ type: [AccountView] }) items: AccountView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PositionView {
  @ApiProperty() symbol: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: ASSET_TYPES }) assetType: AssetType;
  @ApiProperty(money('12.5')) quantity: string;
  @ApiProperty({ ...money('187.34'), nullable: true }) averagePrice: string | null;
  @ApiProperty(money('2341.75')) marketValue: string;
  @ApiProperty({ example: 'USD' }) currency: string;
}

export class PositionsView {
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) asOf: string | null;
  @ApiProperty({ type: [PositionView] }) items: PositionView[];
}

export class TransactionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date' }) date: string;
  @ApiProperty({ nullable: true, type: String, format: 'date' }) settlementDate: string | null;
  @ApiProperty({ enum: TRANSACTION_TYPES }) type: TransactionType;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String }) symbol: string | null;
  @ApiProperty({ ...money('10'), nullable: true }) quantity: string | null;
  @ApiProperty({ ...money('187.34'), nullable: true }) price: string | null;
  @ApiProperty(money('-1873.40')) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
}

export class TransactionPage {
  @ApiProperty({ type: [TransactionView] }) items: TransactionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class BalanceView {
  @ApiProperty({ format: 'date-time' }) asOf: string;
  @ApiProperty(money('1234.56')) cash: string;
  @ApiProperty(money('8765.44')) marketValue: string;
  @ApiProperty(money('10000.00')) total: string;
  @ApiProperty({ example: 'USD' }) currency: string;
}

export class BalancesView {
  @ApiProperty({ type: [BalanceView] }) items: BalanceView[];
}
