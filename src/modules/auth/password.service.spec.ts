import { parseOptions } from '@node-rs/argon2';
import { ARGON2_OPTIONS, PasswordService } from './password.service';

describe('PasswordService', () => {
  const service = new PasswordService();
  beforeAll(() => service.onModuleInit());

  it('hashes with argon2id m=19456 t=2 p=1, explicitly', async () => {
    const hash = await service.hash('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(parseOptions(hash)).toMatchObject({
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
      algorithm: 2,
    });
    expect(ARGON2_OPTIONS).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await expect(service.verify(hash, 'correct horse')).resolves.toBe(true);
    await expect(service.verify(hash, 'wrong horse')).resolves.toBe(false);
  });

  it('treats a malformed stored hash as a failed verification', async () => {
    await expect(service.verify('not-a-hash', 'x')).resolves.toBe(false);
  });

  it('spends a real verification on unknown accounts', async () => {
    await expect(service.verifyDummy('anything')).resolves.toBe(false);
    const lazy = new PasswordService(); // before onModuleInit
    await expect(lazy.verifyDummy('anything')).resolves.toBe(false);
  });
});
