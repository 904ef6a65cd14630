import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMAIN_ERROR_HTTP, PROBLEM_CODES } from '../../app.errors';
import { ERROR_DOCS } from './error-codes';

const root = join(__dirname, '..', '..', '..');

describe('error codes', () => {
  it('docs/errors.md has one row per code, with its statuses', () => {
    const rows = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
      .split('\n')
      .map((line) => /^\|\s*`([a-z_]+)`\s*\|\s*([\d, ]+?)\s*\|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2].trim()]);
    expect(rows).toEqual(PROBLEM_CODES.map((c) => [c, ERROR_DOCS[c]?.status.join(', ')]));
  });

  it('documents exactly the codes the app produces, with the statuses the error table maps them to', () => {
    expect(Object.keys(ERROR_DOCS).sort()).toEqual([...PROBLEM_CODES]);
    for (const [code, mapping] of DOMAIN_ERROR_HTTP) {
      if (typeof mapping.status === 'number')
        expect([code, ERROR_DOCS[code].status]).toEqual([
          code,
          expect.arrayContaining([mapping.status]),
        ]);
    }
  });

  it('openapi.json enumerates exactly these codes on Problem.code', () => {
    const doc = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
    expect(doc.components.schemas.ErrorCode.enum).toEqual([...PROBLEM_CODES]);
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'instance', 'code', 'requestId']),
    );
  });
});
