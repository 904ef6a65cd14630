import { parseOptions } from '@node-rs/argon2';
import { loadConfig } from '../../config';
import { configError } from '../../../test/support/config-error';
import { ARGON2_OPTIONS, PasswordService, TEST_ARGON2_OPTIONS } from './password.service';

// PASSWORD_HASHING picks the argon2id cost: production parameters unless a test run asks for cheap ones.
const configFor = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });

describe('PASSWORD_HASHING', () => {
  it('defaults to the OWASP parameters, in every environment', async () => {
    for (const NODE_ENV of ['test', 'development']) {
      const config = loadConfig({ NODE_ENV });
      expect(config.auth.passwordHashing).toBe('owasp');
      const hash = await new PasswordService(config).hash('correct horse');
      expect(parseOptions(hash)).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    }
  });

  it('uses the cheap parameters only when asked, and they still verify', async () => {
    const service = new PasswordService(configFor({ PASSWORD_HASHING: 'test' }));
    service.onModuleInit();
    const hash = await service.hash('correct horse');
    expect(parseOptions(hash)).toMatchObject({
      memoryCost: TEST_ARGON2_OPTIONS.memoryCost,
      timeCost: TEST_ARGON2_OPTIONS.timeCost,
    });
    expect(TEST_ARGON2_OPTIONS.memoryCost).toBeLessThan(ARGON2_OPTIONS.memoryCost!);
    await expect(service.verify(hash, 'correct horse')).resolves.toBe(true);
    await expect(service.verifyDummy('correct horse')).resolves.toBe(false);
  });

  it('refuses the cheap parameters outside NODE_ENV=test, and unknown values', () => {
    for (const NODE_ENV of ['development', 'production']) {
      const err = configError(() => loadConfig({ NODE_ENV, PASSWORD_HASHING: 'test' }));
      expect(err.message).toBe(
        'Invalid configuration: PASSWORD_HASHING may be "test" only when NODE_ENV=test',
      );
    }
    expect(configError(() => configFor({ PASSWORD_HASHING: 'fast' })).variable).toBe(
      'PASSWORD_HASHING',
    );
  });
});
