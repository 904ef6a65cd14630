import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import type { AuthUser } from '../../common/decorators/current-user.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ApiProblems } from '../../common/http/openapi';
import { isUuid } from '../../common/uuid';
import type { RequestMeta } from '../../common/decorators/meta.decorator';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import {
  ChangePasswordDto,
  EmailDto,
  LoginDto,
  MeResponse,
  RefreshDto,
  RegisterDto,
  RegisteredResponse,
  ResetConfirmDto,
  SessionResponse,
  TokenDto,
  TokenPairResponse,
  UpdateMeDto,
} from './auth.dto';
import { Meta } from '../../common/decorators/meta.decorator';
import { AccountService } from './account.service';
import { LoginService } from './login.service';
import { PasswordsService } from './passwords.service';
import { RegistrationService } from './registration.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly logins: LoginService,
    private readonly account: AccountService,
    private readonly passwords: PasswordsService,
  ) {}

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('register')
  @ApiCreatedResponse({
    type: RegisteredResponse,
    description: 'Same shape whether or not the email was already registered.',
  })
  @ApiOperation({ summary: 'Create an account and mail a verification link' })
  @ApiProblems(400, 429, 503)
  register(@Body() dto: RegisterDto, @Meta() meta: RequestMeta): Promise<RegisteredResponse> {
    return this.registration.register(dto, meta);
  }

  @Public()
  @Post('verify-email')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'Verify an email address with the mailed token' })
  @ApiProblems(400)
  async verifyEmail(@Body() dto: TokenDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.registration.verifyEmail(dto.token, meta);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always accepted.' })
  @ApiOperation({ summary: 'Mail a new verification link' })
  @ApiProblems(400, 429, 503)
  async resend(@Body() dto: EmailDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.registration.resendVerification(dto.email, meta);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiOperation({ summary: 'Sign in: an access and a refresh token' })
  @ApiProblems(400, 401, 429, 503)
  login(@Body() dto: LoginDto, @Meta() meta: RequestMeta): Promise<TokenPairResponse> {
    return this.logins.login(dto, meta);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (rotation)' })
  @ApiProblems(400, 401, 429, 503)
  refresh(@Body() dto: RefreshDto, @Meta() meta: RequestMeta): Promise<TokenPairResponse> {
    return this.logins.refresh(dto.refreshToken, meta);
  }

  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'End this session' })
  async logout(@CurrentUser() user: AuthUser, @Meta() meta: RequestMeta): Promise<void> {
    await this.account.logout(user.id, user.sessionId, meta);
  }

  @ApiBearerAuth()
  @Post('logout-all')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'End every session of the account' })
  async logoutAll(@CurrentUser() user: AuthUser, @Meta() meta: RequestMeta): Promise<void> {
    await this.account.logoutAll(user.id, meta);
  }

  @ApiBearerAuth()
  @Get('me')
  @ApiOkResponse({ type: MeResponse })
  @ApiOperation({ summary: 'The signed-in account' })
  me(@CurrentUser() user: AuthUser): Promise<MeResponse> {
    return this.account.me(user.id);
  }

  @ApiBearerAuth()
  @Patch('me')
  @ApiOkResponse({ type: MeResponse })
  @ApiOperation({ summary: 'Change the display name' })
  @ApiProblems(400)
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<MeResponse> {
    return this.account.updateMe(user.id, dto);
  }

  @ApiBearerAuth()
  @UseGuards(AuthThrottlerGuard)
  @Post('change-password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Other sessions end.' })
  @ApiOperation({ summary: 'Change the password (other sessions end)' })
  @ApiProblems(400, 403, 429, 503)
  async changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.passwords.changePassword(user.id, user.sessionId, dto, meta);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('password-reset/request')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always accepted.' })
  @ApiOperation({ summary: 'Mail a password-reset link' })
  @ApiProblems(400, 429, 503)
  async requestReset(@Body() dto: EmailDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.passwords.requestPasswordReset(dto.email, meta);
  }

  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('password-reset/confirm')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'All sessions end.' })
  @ApiOperation({ summary: 'Set a new password with the mailed token (all sessions end)' })
  @ApiProblems(400, 429, 503)
  async confirmReset(@Body() dto: ResetConfirmDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.passwords.confirmPasswordReset(dto, meta);
  }

  @ApiBearerAuth()
  @Get('sessions')
  @ApiOkResponse({ type: [SessionResponse] })
  @ApiOperation({ summary: 'List the live sessions of the account' })
  sessions(@CurrentUser() user: AuthUser): Promise<SessionResponse[]> {
    return this.account.listSessions(user.id, user.sessionId);
  }

  @ApiBearerAuth()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiOperation({ summary: 'End one session' })
  @ApiProblems(404)
  async revokeSession(
    @CurrentUser() user: AuthUser,
    @Param('id') id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    // A malformed id is as unknown as a foreign one: 404, never a 400 that hints at the format.
    if (!isUuid(id)) throw new AppException(404, 'not_found', 'Session not found.');
    await this.account.revokeSession(user.id, id, meta);
  }
}
