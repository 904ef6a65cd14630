import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Query,
  Req,
  Res,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Clock } from '../../../../common/clock';
import { Public } from '../../../../common/decorators/public.decorator';
import type { AppConfig } from '../../../../config';
import { InjectConfig } from '../../../../config';
import { SANDBOX_FAIL_MODES } from '../../../../config/providers.config';
import type { SandboxFailMode, SandboxSettings } from '../../../../config/providers.config';

interface IssuedCode {
  challenge: string;
  redirectUri: string;
  failMode: SandboxFailMode;
  expiresAt: number;
}

const CODE_TTL_MS = 60_000;
// The authorize page is unauthenticated: cap the codes held in memory.
export const MAX_SANDBOX_CODES = 1000;

// Development only (mapped when the sandbox is enabled). Codes end in `@` like Schwab's; refresh
// tokens are HMAC-signed and carry the failure mode, so they survive restarts of `npm start`.
@ApiExcludeController()
@Public()
@Controller({ path: 'sandbox/oauth', version: VERSION_NEUTRAL })
export class SandboxOAuthController {
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @Get('authorize')
  @Header('Cache-Control', 'no-store')
  authorize(@Query() q: Record<string, unknown>, @Res() res: Response): void {
    const s = this.settings();
    const p = (k: string) => (typeof q[k] === 'string' ? q[k] : undefined);
    // Never redirect to an unregistered URI: answer the browser directly instead.
    if (p('client_id') !== s.clientId || p('redirect_uri') !== s.redirectUri) {
      res
        .status(400)
        .json({ error: 'invalid_request', error_description: 'unknown client or redirect_uri' });
      return;
    }
    const back = new URL(s.redirectUri);
    const state = p('state');
    if (state) back.searchParams.set('state', state);
    const mode = p('sandbox_fail') ?? s.failMode;
    let error: string | undefined;
    if (p('response_type') !== 'code') error = 'unsupported_response_type';
    else if (!p('code_challenge') || p('code_challenge_method') !== 'S256')
      error = 'invalid_request';
    else if (!(SANDBOX_FAIL_MODES as readonly string[]).includes(mode)) error = 'invalid_request';
    else if (p('sandbox_deny') === '1') error = 'access_denied';
    if (error) {
      back.searchParams.set('error', error);
    } else {
      this.purgeCodes();
      for (const oldest of this.codes.keys()) {
        if (this.codes.size < MAX_SANDBOX_CODES) break;
        this.codes.delete(oldest);
      }
      const code = `${randomBytes(24).toString('base64url')}@`;
      this.codes.set(code, {
        challenge: p('code_challenge')!,
        redirectUri: s.redirectUri,
        failMode: mode as SandboxFailMode,
        expiresAt: this.clock.now().getTime() + CODE_TTL_MS,
      });
      back.searchParams.set('code', code);
      back.searchParams.set('session', randomBytes(8).toString('hex'));
    }
    res.redirect(302, back.toString());
  }

  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  token(@Req() req: Request, @Body() body: Record<string, unknown>, @Res() res: Response): void {
    const s = this.settings();
    if (!this.clientAuthenticated(req, s)) {
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    const f = (k: string) => (typeof body?.[k] === 'string' ? body[k] : undefined);
    if (f('grant_type') === 'authorization_code') {
      const code = f('code');
      const issued = code ? this.codes.get(code) : undefined;
      if (code) this.codes.delete(code); // single use, whatever happens next
      if (
        !issued ||
        issued.expiresAt <= this.clock.now().getTime() ||
        f('redirect_uri') !== issued.redirectUri
      ) {
        res
          .status(400)
          .json({ error: 'invalid_grant', error_description: 'unknown, used or expired code' });
        return;
      }
      const verifier = f('code_verifier');
      if (
        !verifier ||
        !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) ||
        s256(verifier) !== issued.challenge
      ) {
        res
          .status(400)
          .json({ error: 'invalid_grant', error_description: 'PKCE verification failed' });
        return;
      }
      if (issued.failMode === 'exchange_invalid_grant') {
        res.status(400).json({ error: 'invalid_grant' });
        return;
      }
      res.json(this.issue(s, this.signRefresh(s, issued.failMode)));
      return;
    }
    if (f('grant_type') === 'refresh_token') {
      const mode = this.verifyRefresh(s, f('refresh_token'));
      if (mode === null || mode === 'refresh_invalid_grant') {
        res.status(400).json({ error: 'invalid_grant' });
      } else if (mode === 'refresh_500') {
        res.status(500).json({ error: 'server_error' });
      } else if (mode === 'refresh_429') {
        res.status(429).setHeader('Retry-After', '60').json({ error: 'rate_limited' });
      } else {
        // Like Schwab: the refresh token is returned unchanged and its lifetime is not extended.
        res.json(this.issue(s, f('refresh_token')!));
      }
      return;
    }
    res.status(400).json({ error: 'unsupported_grant_type' });
  }

  @Post('revoke')
  @HttpCode(200)
  revoke(@Req() req: Request, @Res() res: Response): void {
    const s = this.settings();
    res.status(this.clientAuthenticated(req, s) ? 200 : 401).end();
  }

  // Mapped only when the sandbox exists (SandboxOAuthServerModule), so settings are always there.
  private settings(): SandboxSettings {
    return this.config.providers.sandbox!;
  }

  private issue(s: SandboxSettings, refreshToken: string): Record<string, unknown> {
    return {
      access_token: `sbx_at_${randomBytes(24).toString('base64url')}`,
      token_type: 'Bearer',
      expires_in: s.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      scope: s.scopes.join(' '),
    };
  }

  private signRefresh(s: SandboxSettings, mode: SandboxFailMode): string {
    const payload = Buffer.from(
      JSON.stringify({ m: mode, n: randomBytes(12).toString('base64url') }),
    ).toString('base64url');
    return `sbx_rt_${payload}.${this.mac(s, payload)}`;
  }

  private verifyRefresh(s: SandboxSettings, token: string | undefined): SandboxFailMode | null {
    const m = /^sbx_rt_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token ?? '');
    if (!m) return null;
    const expected = Buffer.from(this.mac(s, m[1]));
    const given = Buffer.from(m[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const mode = (
      JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as { m: SandboxFailMode }
    ).m;
    return (SANDBOX_FAIL_MODES as readonly string[]).includes(mode) ? mode : null;
  }

  private mac(s: SandboxSettings, payload: string): string {
    return createHmac('sha256', `sandbox-refresh:${s.clientSecret}`)
      .update(payload)
      .digest('base64url');
  }

  private clientAuthenticated(req: Request, s: SandboxSettings): boolean {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    const decode = (v: string) => {
      try {
        return decodeURIComponent(v.replace(/\+/g, ' '));
      } catch {
        return undefined; // malformed %-escape: not our client (401 invalid_client, not 500)
      }
    };
    const id = decode(decoded.slice(0, i));
    const secret = decode(decoded.slice(i + 1));
    return (
      id !== undefined &&
      secret !== undefined &&
      id === s.clientId &&
      safeEqual(secret, s.clientSecret)
    );
  }

  private purgeCodes(): void {
    const now = this.clock.now().getTime();
    for (const [code, issued] of this.codes) if (issued.expiresAt <= now) this.codes.delete(code);
  }
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
