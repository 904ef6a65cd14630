import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/http/openapi';
import type { AuthUser } from '../../common/decorators/current-user.decorator';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import {
  AccountPage,
  AccountsQueryDto,
  AccountView,
  BalancesQueryDto,
  BalancesView,
  PositionsView,
  TransactionPage,
  TransactionsQueryDto,
} from './accounts.dto';
import { AccountsService } from './accounts.service';

const Id = () => Param('id', new ParseUUIDPipe());

/** Read-only financial data of the caller's own accounts; any other id answers 404. */
@ApiTags('accounts')
@ApiBearerAuth()
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: "List the accounts of the user's live connections" })
  @ApiOkResponse({ type: AccountPage })
  list(@CurrentUser() user: AuthUser, @Query() q: AccountsQueryDto): Promise<AccountPage> {
    return this.accounts.list(user.id, q.limit ?? 50, q.connectionId, q.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account with its latest balances' })
  @ApiProblems(404)
  @ApiOkResponse({ type: AccountView })
  get(@CurrentUser() user: AuthUser, @Id() id: string): Promise<AccountView> {
    return this.accounts.get(user.id, id);
  }

  @Get(':id/positions')
  @ApiOperation({ summary: 'The latest positions snapshot of an account' })
  @ApiProblems(404)
  @ApiOkResponse({ type: PositionsView })
  positions(@CurrentUser() user: AuthUser, @Id() id: string): Promise<PositionsView> {
    return this.accounts.positions(user.id, id);
  }

  @Get(':id/transactions')
  @ApiOperation({ summary: 'Transactions of an account, newest first' })
  @ApiProblems(404)
  @ApiOkResponse({ type: TransactionPage })
  transactions(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Query() q: TransactionsQueryDto,
  ): Promise<TransactionPage> {
    return this.accounts.transactions(
      user.id,
      id,
      { from: q.from, to: q.to, type: q.type },
      q.limit ?? 50,
      q.cursor,
    );
  }

  @Get(':id/balances')
  @ApiOperation({ summary: 'Balance history of an account, one point per sync' })
  @ApiProblems(404)
  @ApiOkResponse({ type: BalancesView })
  balances(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Query() q: BalancesQueryDto,
  ): Promise<BalancesView> {
    return this.accounts.balances(user.id, id, q.from, q.to);
  }
}
