import { generateKey } from '../modules/encryption/fernet';
import type { AppSettings } from './app.config';
import { DEVELOPMENT_ENCRYPTION_KEY, parseEncryptionSettings } from './encryption.config';
import { configError } from '../../test/support/config-error';

const dev = { isProduction: false } as AppSettings;
const prod = { isProduction: true } as AppSettings;
const K1 = generateKey();
const K2 = generateKey();

describe('ENCRYPTION_KEYS', () => {
  it('keeps the order of the keys (first = primary), trimming spaces', () => {
    expect(parseEncryptionSettings({ ENCRYPTION_KEYS: ` ${K1} , ${K2}` }, prod).keys).toEqual([
      K1,
      K2,
    ]);
  });

  it('defaults to the development placeholder outside production only', () => {
    expect(parseEncryptionSettings({}, dev).keys).toEqual([DEVELOPMENT_ENCRYPTION_KEY]);
    expect(configError(() => parseEncryptionSettings({}, prod)).variable).toBe('ENCRYPTION_KEYS');
    configError(() =>
      parseEncryptionSettings({ ENCRYPTION_KEYS: DEVELOPMENT_ENCRYPTION_KEY }, prod),
    );
    expect(
      configError(() =>
        parseEncryptionSettings({ ENCRYPTION_KEYS: `${K1},${DEVELOPMENT_ENCRYPTION_KEY}` }, prod),
      ).message,
    ).toMatch(/entry 2 of 2 is the development placeholder/);
  });

  it.each([
    ['unpadded', K1.slice(0, 43)],
    ['standard base64', Buffer.alloc(32, 0xfb).toString('base64')],
    ['too short', 'c2hvcnQ='],
    ['empty entry', ''],
    ['non-canonical', `${K1.slice(0, 42)}B=`],
  ])('refuses an entry that is %s, naming its position and not its value', (_what, bad) => {
    const err = configError(() =>
      parseEncryptionSettings({ ENCRYPTION_KEYS: `${K1},${bad}` }, dev),
    );
    expect(err.message).toMatch(/ENCRYPTION_KEYS entry 2 of 2 is not a Fernet key/);
    expect(err.message).not.toContain(K1.slice(0, 12));
    if (bad.length > 4) expect(err.message).not.toContain(bad.slice(0, 12));
  });

  it('refuses duplicates without echoing the key', () => {
    const err = configError(() =>
      parseEncryptionSettings({ ENCRYPTION_KEYS: `${K1},${K2},${K1}` }, dev),
    );
    expect(err.message).toMatch(/entry 3 of 3 duplicates entry 1/);
    expect(err.message).not.toContain(K1.slice(0, 12));
  });
});
