import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface TokenCall {
  grantType: string;
  authorization: string | undefined;
  refreshToken?: string;
  codeVerifier?: string;
}

export interface BrokerageStats {
  /** Every POST /token that reached the server (including ones answered 429 or held). */
  tokenRequests: number;
  calls: TokenCall[];
  /** Access tokens issued, oldest first. */
  accessTokens: string[];
  /** Every POST /revoke. */
  revocations: Array<{ token: string; tokenTypeHint?: string; authorization?: string }>;
}

export interface BrokerageControl {
  /** Token responses fail with this status/body until cleared (null). */
  fail?: { status: number; body: Record<string, unknown> } | null;
  /** `hang`: token requests get no answer; `429`: answered 429 with Retry-After. */
  mode?: 'normal' | 'hang' | '429';
  retryAfter?: string;
  delayMs?: number;
}

/**
 * Starts mock-brokerage.server.mjs — oauth2-mock-server shaped like Schwab — as its own Node process on
 * 127.0.0.1 (port 0), and steers it over HTTP.
 */
export class MockBrokerage {
  // Alphanumeric like real Schwab app keys: oauth4webapi form-encodes Basic credentials (RFC 6749 §2.3.1),
  // which this mock does not decode.
  readonly clientId = 'SchwabTestAppKey1';
  readonly clientSecret = 'SchwabTestAppSecret1';
  url = '';
  private child?: ChildProcess;

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [join(__dirname, 'mock-brokerage.server.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.url = await new Promise<string>((resolve, reject) => {
      let out = '';
      this.child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve(line.trim());
      });
      this.child!.once('exit', (code) => reject(new Error(`mock brokerage exited with ${code}`)));
    });
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  /** Variables pointing the Schwab adapter at this server. */
  env(): Record<string, string> {
    return {
      SCHWAB_CLIENT_ID: this.clientId,
      SCHWAB_CLIENT_SECRET: this.clientSecret,
      SCHWAB_ISSUER: this.url,
      SCHWAB_AUTHORIZE_URL: `${this.url}/authorize`,
      SCHWAB_TOKEN_URL: `${this.url}/token`,
      SCHWAB_REVOKE_URL: `${this.url}/revoke`,
      SCHWAB_REDIRECT_URI: 'https://api.dashtam.test/api/v1/providers/oauth/callback',
      PROVIDERS_ALLOW_INSECURE_HTTP: 'true',
    };
  }

  async set(control: BrokerageControl): Promise<void> {
    await fetch(`${this.url}/__control`, { method: 'POST', body: JSON.stringify(control) });
  }

  async reset(): Promise<void> {
    await fetch(`${this.url}/__control/reset`, { method: 'POST', body: '{}' });
  }

  async stats(): Promise<BrokerageStats> {
    return (await fetch(`${this.url}/__control`)).json() as Promise<BrokerageStats>;
  }

  async refreshCalls(): Promise<TokenCall[]> {
    return (await this.stats()).calls.filter((c) => c.grantType === 'refresh_token');
  }

  /** Follows the authorization URL like a browser and returns the redirect's query parameters. */
  async authorize(authorizationUrl: string): Promise<URLSearchParams> {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`authorize answered ${res.status}`);
    return new URL(location).searchParams;
  }
}
