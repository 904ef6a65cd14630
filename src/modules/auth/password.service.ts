import { Injectable, OnModuleInit } from '@nestjs/common';
import { hash, Options, verify } from '@node-rs/argon2';

/**
 * argon2id at the OWASP minimum (m = 19456 KiB, t = 2, p = 1), set explicitly rather than relying on the
 * library's defaults, which could change under us. `Algorithm.Argon2id` is an ambient const enum (not usable
 * with isolatedModules), hence the literal 2.
 */
export const ARGON2_OPTIONS: Options = {
  algorithm: 2, // Algorithm.Argon2id
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

@Injectable()
export class PasswordService implements OnModuleInit {
  /** A real hash of a random password: unknown accounts verify against it so login timing does not differ. */
  private dummyHash?: Promise<string>;

  onModuleInit(): void {
    this.dummyHash = hash(`dummy-${Math.random()}-${Date.now()}`, ARGON2_OPTIONS);
  }

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false; // a malformed stored hash is a failed login, not a 500
    }
  }

  /** Same cost as `verify` on a real account, always false. */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= hash(`dummy-${Math.random()}`, ARGON2_OPTIONS);
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
