import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allErrorCodes, ERROR_CODES } from './error-codes';

const root = join(__dirname, '..', '..', '..');

describe('error codes', () => {
  it('docs/errors.md has one row per code, with its statuses', () => {
    const rows = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
      .split('\n')
      .map((line) => /^\|\s*`([a-z_]+)`\s*\|\s*([\d, ]+?)\s*\|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2].trim()]);
    expect(rows).toEqual(allErrorCodes().map((c) => [c, ERROR_CODES[c].status.join(', ')]));
  });

  it('openapi.json enumerates exactly these codes on Problem.code', () => {
    const doc = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
    expect(doc.components.schemas.ErrorCode.enum).toEqual(allErrorCodes());
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'instance', 'code', 'requestId']),
    );
  });
});
