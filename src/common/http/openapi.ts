import { applyDecorators, INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSchema,
  getSchemaPath,
} from '@nestjs/swagger';
import type {
  HeadersObject,
  OpenAPIObject,
  OperationObject,
  ResponseObject,
} from '@nestjs/swagger';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { EdgeErrorCode } from '../errors/edge-error-code';

@ApiSchema({ name: 'FieldError' })
export class FieldErrorSchema {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ type: [String], example: ['email must be an email'] }) messages: string[];
}

export class Problem {
  @ApiProperty({ format: 'uri', example: 'https://dashtam.dev/problems/validation_failed' })
  type: string;
  @ApiProperty({ example: 'Bad Request' }) title: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400 }) status: number;
  @ApiPropertyOptional({ example: 'Invalid request: email' }) detail?: string;
  @ApiProperty({ example: '/api/v1/auth/register' }) instance: string;
  @ApiProperty({
    // The edge's codes here; completeOpenApiDocument puts in every code the app can produce.
    enum: Object.values(EdgeErrorCode),
    enumName: 'ErrorCode',
    description: 'Stable machine code: see docs/errors.md.',
  })
  code: string;
  @ApiProperty({
    description: 'Also sent as the `X-Request-Id` header; quote it when reporting a problem.',
  })
  requestId: string;
  @ApiPropertyOptional({
    type: [FieldErrorSchema],
    description: 'Per-field messages (`validation_failed`, `malformed_unicode`).',
  })
  errors?: FieldErrorSchema[];
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Seconds until a retry can succeed (also in `Retry-After`).',
  })
  retryAfterSeconds?: number;
}

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 502 | 503;

// Not required: the throttlers (`too_many_requests`) and brokerage back-off always send it, but a wait that is
// not known in advance (`too_many_refreshes`: refreshes still running) comes without one.
const retryAfter: HeadersObject = {
  'Retry-After': {
    description: 'Seconds to wait before retrying, when known.',
    schema: { type: 'integer', minimum: 1 },
  },
};
const PROBLEMS: Record<ProblemStatus, { description: string; headers?: HeadersObject }> = {
  400: {
    description: 'The request is malformed or a field is invalid (`errors[]` names the fields).',
  },
  401: {
    description: 'Missing, invalid or expired credentials.',
    headers: {
      'WWW-Authenticate': {
        description: 'Present when the bearer token is missing or invalid: `Bearer`.',
        schema: { type: 'string' },
      },
    },
  },
  403: { description: 'Authenticated but not allowed (e.g. email not verified).' },
  404: { description: 'No such resource for this user.' },
  409: { description: 'The resource is not in a state that allows this.' },
  413: { description: 'The body is larger than allowed.' },
  415: { description: 'The body is not `application/json`.' },
  429: { description: 'Throttled.', headers: retryAfter },
  502: { description: 'The brokerage answered with an error.' },
  503: {
    description: 'Temporarily unavailable.',
    headers: retryAfter,
  },
};

export function problemResponse(status: ProblemStatus): ResponseObject {
  const { description, headers } = PROBLEMS[status];
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(Problem) } } },
  };
}

// Beyond the shared ones (400, 413, 415, and 401 when authenticated), which the document completion adds.
export function ApiProblems(...statuses: ProblemStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(Problem),
    ...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}

// An operation not listed keeps its method name (a unit test checks uniqueness).
const OPERATION_IDS: Record<string, string> = {
  'AuthController.resend': 'resendVerification',
  'AuthController.refresh': 'refreshSession',
  'AuthController.me': 'getMe',
  'AuthController.requestReset': 'requestPasswordReset',
  'AuthController.confirmReset': 'confirmPasswordReset',
  'AuthController.sessions': 'listSessions',
  'ProviderTypesController.list': 'listProviderTypes',
  'ProvidersController.create': 'createConnection',
  'ProvidersController.list': 'listConnections',
  'ProvidersController.get': 'getConnection',
  'ProvidersController.rename': 'renameConnection',
  'ProvidersController.remove': 'deleteConnection',
  'ProvidersController.authorize': 'startAuthorization',
  'ProvidersController.tokenMetadata': 'getTokenMetadata',
  'ProvidersController.refresh': 'refreshToken',
  'ProvidersController.events': 'listConnectionEvents',
  'AccountsController.list': 'listAccounts',
  'AccountsController.get': 'getAccount',
  'AccountsController.positions': 'getPositions',
  'AccountsController.transactions': 'listTransactions',
  'AccountsController.balances': 'listBalances',
  'SyncController.sync': 'syncConnection',
  'HealthController.live': 'getLiveness',
  'HealthController.ready': 'getReadiness',
};

export function operationId(controllerKey: string, methodKey: string): string {
  return OPERATION_IDS[`${controllerKey}.${methodKey}`] ?? methodKey;
}

function publicOperations(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const classPublic = Reflect.getMetadata(IS_PUBLIC, metatype) === true;
      for (const key of Object.getOwnPropertyNames(metatype.prototype)) {
        const handler = (metatype.prototype as Record<string, unknown>)[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const own = Reflect.getMetadata(IS_PUBLIC, handler) as boolean | undefined;
        if (own ?? classPublic) ids.add(operationId(metatype.name, key));
      }
    }
  }
  return ids;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

// A class-level `@ApiBearerAuth()` would cover the public OAuth callback; `problemCodes` comes from the
// composition root because common/ cannot import the modules' enums.
export function completeOpenApiDocument(
  doc: OpenAPIObject,
  app: INestApplication,
  problemCodes: readonly string[],
): OpenAPIObject {
  const errorCode = doc.components?.schemas?.ErrorCode;
  if (errorCode && 'enum' in errorCode) errorCode.enum = [...problemCodes].sort();
  const open = publicOperations(app);
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op: OperationObject | undefined = item[method];
      if (!op) continue;
      const shared: ProblemStatus[] = [400, 413, 415];
      if (op.operationId && open.has(op.operationId)) delete op.security;
      else {
        op.security = [{ bearer: [] }];
        shared.push(401);
      }
      for (const status of shared) op.responses[status] ??= problemResponse(status);
      // Every `:id` is a uuid: ParseUUIDPipe refuses anything else (sessions answer 404 rather than hint at it).
      for (const p of op.parameters ?? [])
        if ('in' in p && p.in === 'path' && p.name === 'id')
          p.schema = { type: 'string', format: 'uuid' };
    }
  }
  return doc;
}
