import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../common/decorators/current-user.decorator';
import { CurrentUser, RequireVerifiedEmail } from '../../common/decorators/current-user.decorator';
import { Public } from '../../common/decorators/public.decorator';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { Meta } from '../../common/decorators/meta.decorator';
import { TokensError, TokensErrorCode } from '../tokens/tokens.errors';
import { TokensService } from '../tokens/tokens.service';
import {
  ApiOAuthCallback,
  AuthorizationCallbackDto,
  AuthorizationStartView,
  CONNECTIONS_PAGE_DEFAULT,
  ConnectionEventPage,
  ConnectionPage,
  ConnectionView,
  CreateConnectionDto,
  EVENTS_PAGE_DEFAULT,
  EventPageQueryDto,
  PageQueryDto,
  ProviderTypeView,
  TokenMetadataView,
  UpdateConnectionDto,
} from './providers.dto';
import { AppException } from '../../common/errors/app.exception';
import { ApiProblems } from '../../common/http/openapi';
import { toView } from './connection.mapper';
import { OAuthFlowService } from './oauth-flow.service';
import { ProvidersService } from './providers.service';

const Id = () => Param('id', new ParseUUIDPipe());

/** Binds the browser callback to the browser that started the flow (HttpOnly, sent only to the callback path). */
export const OAUTH_BROWSER_COOKIE = 'dashtam_oauth_binding';
const CALLBACK_PATH = '/api/v1/providers/oauth/callback';

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

@ApiTags('providers')
@ApiBearerAuth()
@Controller('provider-types')
export class ProviderTypesController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @ApiOkResponse({ type: [ProviderTypeView] })
  @ApiOperation({ summary: 'List the brokerages this server can connect' })
  list(): ProviderTypeView[] {
    return this.providers.catalog();
  }
}

@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProvidersService,
    private readonly oauth: OAuthFlowService,
    private readonly tokens: TokensService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  @RequireVerifiedEmail()
  @ApiCreatedResponse({ type: ConnectionView })
  @ApiOperation({ summary: 'Create a connection (pending authorisation)' })
  @ApiProblems(400, 403)
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateConnectionDto,
    @Meta() meta: RequestMeta,
  ): Promise<ConnectionView> {
    return this.providers.create(user.id, dto, meta);
  }

  @Get()
  @ApiOkResponse({ type: ConnectionPage })
  @ApiOperation({ summary: 'List the connections of the user, newest first' })
  @ApiProblems(400)
  list(@CurrentUser() user: AuthUser, @Query() q: PageQueryDto): Promise<ConnectionPage> {
    return this.providers.list(user.id, q.limit ?? CONNECTIONS_PAGE_DEFAULT, q.cursor);
  }

  /**
   * The brokerage sends the browser here. Public (the browser carries no bearer token): the state binds the
   * request to a user and a connection. Always a 302 to the frontend, never a token in the URL or body.
   */
  @Public()
  @Get('oauth/callback')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-store')
  @ApiOAuthCallback()
  @ApiOperation({ summary: 'Browser callback from the brokerage: a 302 to the frontend' })
  async oauthCallback(
    @Query() query: Record<string, unknown>,
    @Meta() meta: RequestMeta,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const outcome = await this.oauth.completeAuthorization(
      {
        code: str(query.code),
        state: str(query.state),
        error: str(query.error),
        iss: str(query.iss),
      },
      meta,
      { browser: readCookie(req.headers.cookie, OAUTH_BROWSER_COOKIE) },
    );
    const target = new URL(this.config.app.frontendUrl);
    const connectionId =
      outcome.result === 'connected' ? outcome.connection.id : outcome.connectionId;
    if (connectionId) target.searchParams.set('connection', connectionId);
    target.searchParams.set('result', outcome.result);
    if (outcome.result === 'error') target.searchParams.set('reason', outcome.reason);
    res.redirect(302, target.toString());
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectionView })
  @ApiOperation({ summary: 'One connection' })
  @ApiProblems(404)
  get(@CurrentUser() user: AuthUser, @Id() id: string): Promise<ConnectionView> {
    return this.providers.get(user.id, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: ConnectionView })
  @ApiOperation({ summary: 'Rename a connection (alias, or null to clear it)' })
  @ApiProblems(404)
  rename(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Body() dto: UpdateConnectionDto,
    @Meta() meta: RequestMeta,
  ): Promise<ConnectionView> {
    return this.providers.rename(user.id, id, dto.alias, meta);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'Disconnect: tokens destroyed and revoked at the brokerage' })
  @ApiProblems(404)
  async remove(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.providers.disconnect(user.id, id, meta);
  }

  @Post(':id/authorization')
  @RequireVerifiedEmail()
  @ApiCreatedResponse({
    type: AuthorizationStartView,
    headers: {
      'Set-Cookie': {
        description: `\`${OAUTH_BROWSER_COOKIE}\`: HttpOnly, SameSite=Lax, Path=${CALLBACK_PATH}; binds the callback to this browser.`,
        required: true,
        schema: { type: 'string' },
      },
    },
  })
  @ApiOperation({
    summary: 'Start (or restart) the authorisation: the brokerage URL and a binding cookie',
  })
  @ApiProblems(403, 404, 409)
  async authorize(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Meta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AuthorizationStartView> {
    const { browserBinding, ...view } = await this.oauth.startAuthorization(user.id, id, meta);
    // Lax: sent on the top-level GET redirect back from the brokerage. A new flow in this browser replaces it.
    res.cookie(OAUTH_BROWSER_COOKIE, browserBinding, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.config.app.publicUrl.startsWith('https:'),
      path: CALLBACK_PATH,
      maxAge: this.config.providers.stateTtlMs,
    });
    return view;
  }

  /** The same completion as the browser callback, for clients that receive the redirect themselves. */
  @Post(':id/authorization/callback')
  @RequireVerifiedEmail()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: ConnectionView })
  @ApiOperation({
    summary: 'Complete the authorisation with the code and state (non-browser clients)',
  })
  @ApiProblems(403, 404, 502)
  async completeAuthorization(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Body() dto: AuthorizationCallbackDto,
    @Meta() meta: RequestMeta,
  ): Promise<ConnectionView> {
    await this.providers.owned(user.id, id);
    const outcome = await this.oauth.completeAuthorization(
      { code: dto.code, state: dto.state },
      meta,
      { userId: user.id, connectionId: id },
    );
    if (outcome.result === 'error') {
      const status = outcome.reason === 'brokerage_unavailable' ? 502 : 400;
      throw new AppException(status, outcome.reason, 'The authorisation could not be completed.');
    }
    return toView(outcome.connection);
  }

  @Get(':id/token')
  @ApiOkResponse({ type: TokenMetadataView })
  @ApiOperation({ summary: 'Token metadata (never the tokens)' })
  @ApiProblems(404, 409)
  async tokenMetadata(@CurrentUser() user: AuthUser, @Id() id: string): Promise<TokenMetadataView> {
    await this.providers.owned(user.id, id);
    const meta = await this.tokens.getMetadata(id);
    if (!meta) throw new TokensError(TokensErrorCode.NOT_CONNECTED);
    return meta;
  }

  @Post(':id/token/refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenMetadataView })
  @ApiOperation({ summary: 'Refresh the brokerage tokens now' })
  @ApiProblems(404, 409, 429, 503)
  async refresh(@CurrentUser() user: AuthUser, @Id() id: string): Promise<TokenMetadataView> {
    await this.providers.owned(user.id, id);
    return this.tokens.forceRefresh(id, user.id);
  }

  @Get(':id/events')
  @ApiOkResponse({ type: ConnectionEventPage })
  @ApiOperation({ summary: 'The event trail of a connection, newest first' })
  @ApiProblems(404)
  events(
    @CurrentUser() user: AuthUser,
    @Id() id: string,
    @Query() q: EventPageQueryDto,
  ): Promise<ConnectionEventPage> {
    return this.providers.listEvents(user.id, id, q.limit ?? EVENTS_PAGE_DEFAULT, q.cursor);
  }
}
