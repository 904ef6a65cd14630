import { BadRequestException, HttpStatus, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException } from '../errors/app.exception';
import { ProblemDetailsFilter, ValidationFailedException } from './problem-details.filter';

describe('ProblemDetailsFilter.toProblem', () => {
  const filter = new ProblemDetailsFilter();
  const render = (e: unknown) => filter.toProblem(e, 'req-1', '/api/v1/x');

  it('maps AppException with its code and extra fields', () => {
    const p = render(
      new AppException(HttpStatus.FORBIDDEN, 'email_not_verified', 'Verify first.', { hint: 'x' }),
    );
    expect(p).toMatchObject({
      status: 403,
      code: 'email_not_verified',
      detail: 'Verify first.',
      hint: 'x',
      requestId: 'req-1',
      instance: '/api/v1/x',
      type: 'https://dashtam.dev/problems/email_not_verified',
      title: 'Forbidden',
    });
  });

  it('keeps field errors of validation failures', () => {
    const p = render(
      new ValidationFailedException([{ field: 'email', messages: ['email must be an email'] }]),
    );
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([{ field: 'email', messages: ['email must be an email'] }]);
    expect(p.detail).toContain('email');
  });

  it('maps unique violations to 409 and invalid text representation to 400', () => {
    const dup = new QueryFailedError(
      'INSERT',
      [],
      Object.assign(new Error('dup'), { code: '23505' }),
    );
    const bad = new QueryFailedError(
      'SELECT',
      [],
      Object.assign(new Error('uuid'), { code: '22P02' }),
    );
    const nul = new QueryFailedError(
      'INSERT',
      [],
      Object.assign(new Error('nul'), { code: '22021' }),
    );
    expect(render(nul)).toMatchObject({ status: 400, code: 'invalid_input' });
    expect(render(dup).status).toBe(409);
    expect(render(bad).status).toBe(400);
  });

  it('maps body-parser errors to 413 and 400', () => {
    expect(render({ type: 'entity.too.large', status: 413 }).status).toBe(413);
    expect(render({ type: 'entity.parse.failed', status: 400 }).code).toBe('malformed_json');
    expect(render({ type: 'encoding.unsupported', status: 415, expose: true }).status).toBe(415);
  });

  it('keeps HttpException messages for 4xx and hides them for 5xx', () => {
    expect(render(new NotFoundException('Cannot GET /x?token=s3cret')).detail).toBe(
      'No such route.',
    );
    expect(render(new NotFoundException('Connection not found.')).detail).toBe(
      'Connection not found.',
    );
    expect(render(new BadRequestException(['a', 'b'])).detail).toBe('a; b');
    const hidden = render(new Error('connection string postgres://secret@db'));
    expect(hidden).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(hidden)).not.toContain('secret');
  });
});

describe('ProblemDetailsFilter with wrapped parser errors', () => {
  it('reads the body-parser type from the cause of an HttpException', () => {
    const wrapped = new BadRequestException('Unexpected end of JSON input', {
      cause: { type: 'entity.parse.failed', status: 400 },
    });
    expect(new ProblemDetailsFilter().toProblem(wrapped, 'r', '/x')).toMatchObject({
      status: 400,
      code: 'malformed_json',
    });
  });
});
