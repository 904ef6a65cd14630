import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { hash, Options, verify } from '@node-rs/argon2';
import type { AppConfig } from '../../config';
import { InjectConfig } from '../../config';
import { AuthError, AuthErrorCode } from './auth.errors';
import type { LockoutPolicy } from './users.repository';

// OWASP minimum, explicit so a change of library defaults cannot weaken it. The literal 2: `Algorithm.Argon2id`
// is an ambient const enum, unusable with isolatedModules.
export const ARGON2_OPTIONS: Options = {
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};

// Refused outside NODE_ENV=test: the suite hashes hundreds of passwords.
export const TEST_ARGON2_OPTIONS: Options = { ...ARGON2_OPTIONS, memoryCost: 64, timeCost: 1 };

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

@Injectable()
export class PasswordService implements OnModuleInit {
  // Unknown accounts verify against it so login timing does not differ.
  private dummyHash?: Promise<string>;
  private readonly options: Options;

  // Without configuration (constructed by hand) the production parameters apply.
  constructor(@Optional() @InjectConfig() private readonly config?: AppConfig) {
    this.options = config?.auth.passwordHashing === 'test' ? TEST_ARGON2_OPTIONS : ARGON2_OPTIONS;
  }

  checkLength(password: string): void {
    // Counted in code points, so a passphrase in any script gets the full 128 characters.
    const length = [...password].length;
    if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
      throw new AuthError(
        AuthErrorCode.INVALID_PASSWORD,
        `The password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.`,
      );
    }
  }

  get lockout(): LockoutPolicy {
    const a = this.config!.auth;
    return {
      threshold: a.lockoutThreshold,
      baseSeconds: a.lockoutBaseSeconds,
      maxSeconds: a.lockoutMaxSeconds,
      decaySeconds: a.lockoutDecaySeconds,
    };
  }

  onModuleInit(): void {
    this.dummyHash = hash(`dummy-${Math.random()}-${Date.now()}`, this.options);
  }

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false; // a malformed stored hash is a failed login, not a 500
    }
  }

  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= hash(`dummy-${Math.random()}`, this.options);
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
