import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { AppException } from '../errors/app.exception';
import { DomainError, ErrorHttpMapping } from '../errors/domain.error';
import { EdgeErrorCode } from '../errors/edge-error-code';
import { requestIdFor } from './request-id';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

// Thrown by the ValidationPipe's exceptionFactory so field errors survive into the problem body.
export class ValidationFailedException extends HttpException {
  constructor(readonly fieldErrors: FieldError[]) {
    super('Validation failed', HttpStatus.BAD_REQUEST);
  }
}

const TYPE_BASE = 'https://dashtam.dev/problems/';

// RFC 9457 problem+json. Anything unexpected becomes a bare 500 whose body says nothing internal (the log line
// has the cause).
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly domainErrors: ReadonlyMap<string, ErrorHttpMapping> = new Map()) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = requestIdFor(req, res);
    const problem = this.toProblem(exception, requestId, req.originalUrl?.split('?')[0] ?? req.url);
    if (problem.status >= 500) {
      this.logger.error(
        {
          err:
            exception instanceof Error
              ? { name: exception.name, message: exception.message, stack: exception.stack }
              : exception,
          requestId,
        },
        'unhandled error',
      );
    }
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(this.headersOf(exception))) res.setHeader(k, v);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, requestId: string, instance: string): ProblemDetails {
    const base = (status: number, code: string, detail?: string): ProblemDetails => ({
      type: `${TYPE_BASE}${code}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance,
      code,
      requestId,
    });

    if (exception instanceof AppException) {
      return { ...base(exception.status, exception.code, exception.detail), ...exception.extra };
    }
    const mapping = this.mappingOf(exception);
    if (mapping) {
      const e = exception as DomainError;
      const status = typeof mapping.status === 'function' ? mapping.status(e) : mapping.status;
      return { ...base(status, e.code, e.detail), ...e.details };
    }
    if (exception instanceof ValidationFailedException) {
      const fields = exception.fieldErrors.map((e) => e.field).join(', ');
      return {
        ...base(400, EdgeErrorCode.VALIDATION_FAILED, `Invalid request: ${fields}`),
        errors: exception.fieldErrors,
      };
    }
    if (exception instanceof QueryFailedError) {
      const code = (exception as QueryFailedError & { driverError?: { code?: string } }).driverError
        ?.code;
      if (code === '23505')
        return base(409, EdgeErrorCode.CONFLICT, 'The resource already exists.');
      // Class 22 (data exception: bad text, NUL bytes, out-of-range numbers) is always the client's value.
      if (code?.startsWith('22'))
        return base(400, EdgeErrorCode.INVALID_INPUT, 'A value has an invalid format.');
    }
    // Express adapters wrap body-parser errors in an HttpException whose `cause` keeps the parser's `type`.
    const bodyParser = ((exception as { cause?: unknown })?.cause ?? exception) as {
      type?: string;
      status?: number;
      expose?: boolean;
    };
    if (bodyParser?.type === 'entity.too.large') {
      return base(413, EdgeErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than allowed.');
    }
    if (bodyParser?.type === 'entity.parse.failed') {
      return base(400, EdgeErrorCode.MALFORMED_JSON, 'The request body is not valid JSON.');
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : Array.isArray((response as { message?: unknown }).message)
            ? (response as { message: string[] }).message.join('; ')
            : typeof (response as { message?: unknown }).message === 'string'
              ? (response as { message: string }).message
              : exception.message;
      if (status === 404 && message.startsWith('Cannot ')) {
        // Nest's "Cannot GET /path?query" would echo the query string (which may hold a secret).
        return base(404, EdgeErrorCode.NOT_FOUND, 'No such route.');
      }
      const code =
        status === 404
          ? EdgeErrorCode.NOT_FOUND
          : (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/\W+/g, '_');
      return base(status, code, status >= 500 ? undefined : message);
    }
    if (
      typeof bodyParser?.status === 'number' &&
      bodyParser.status >= 400 &&
      bodyParser.status < 500 &&
      bodyParser.expose
    ) {
      return base(bodyParser.status, EdgeErrorCode.BAD_REQUEST, 'The request could not be read.');
    }
    return base(500, EdgeErrorCode.INTERNAL_ERROR, 'An unexpected error occurred.');
  }

  headersOf(exception: unknown): Record<string, string> {
    if (exception instanceof AppException) return exception.headers;
    const mapping = this.mappingOf(exception);
    return mapping?.headers ? mapping.headers(exception as DomainError) : {};
  }

  // An unmapped domain error is a server fault: it falls through to the bare 500.
  private mappingOf(exception: unknown): ErrorHttpMapping | undefined {
    return exception instanceof DomainError ? this.domainErrors.get(exception.code) : undefined;
  }
}
