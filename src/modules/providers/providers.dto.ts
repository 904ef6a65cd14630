import { applyDecorators } from '@nestjs/common';
import { ApiFoundResponse, ApiProperty, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { CONNECTION_EVENT_TYPES } from '../connections/connection-events.repository';
import type { ConnectionStatus } from '../connections/connection-status';
import { AUTHORIZATION_FAILURES } from './oauth-flow.service';

/** Keys of the brokerages this codebase has adapters for (which are enabled depends on configuration). */
export const PROVIDER_KEYS = ['schwab', 'sandbox'] as const;
/** Statuses a connection can be seen in (a disconnected one is gone: 404). */
const VISIBLE_STATUSES = [
  'pending_auth',
  'active',
  'expiring',
  'degraded',
  'reauth_required',
] as const satisfies readonly ConnectionStatus[];

export const CONNECTIONS_PAGE_DEFAULT = 20;
export const EVENTS_PAGE_DEFAULT = 50;

export class CreateConnectionDto {
  @ApiProperty({
    example: 'schwab',
    pattern: '^[a-z0-9_-]{1,64}$',
    description: 'A `key` from `GET /provider-types`.',
  })
  @IsString()
  @Matches(/^[a-z0-9_-]{1,64}$/)
  providerKey: string;

  @ApiPropertyOptional({ example: 'My IRA', maxLength: 100, type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  alias?: string | null;
}

export class UpdateConnectionDto {
  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 100,
    description: 'null clears the alias.',
  })
  @ValidateIf((o: UpdateConnectionDto) => o.alias !== null)
  @IsString()
  @MaxLength(100)
  alias: string | null;
}

export class AuthorizationCallbackDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  code: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  state: string;
}

/** A keyset page query whose documented default is the one the listing applies. */
function pageQuery(defaultLimit: number) {
  class PageQuery {
    @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: defaultLimit })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(100)
    limit?: number;

    @ApiPropertyOptional({
      description: 'Opaque cursor from the previous page (`nextCursor`).',
      maxLength: 200,
    })
    @IsOptional()
    @IsString()
    @MaxLength(200)
    cursor?: string;
  }
  return PageQuery;
}

export class PageQueryDto extends pageQuery(CONNECTIONS_PAGE_DEFAULT) {}
export class EventPageQueryDto extends pageQuery(EVENTS_PAGE_DEFAULT) {}

const CALLBACK_QUERY = [
  { name: 'state', description: 'The `state` of the authorization URL, echoed by the brokerage.' },
  { name: 'code', description: 'The authorization code (on success).' },
  { name: 'error', description: 'The OAuth error code (on refusal, e.g. `access_denied`).' },
  { name: 'iss', description: 'The issuer (RFC 9207), when the brokerage sends it.' },
];

/** OpenAPI for the browser callback: its query and the one outcome, a redirect to the frontend. */
export function ApiOAuthCallback(): MethodDecorator {
  return applyDecorators(
    ...CALLBACK_QUERY.map((q) => ApiQuery({ ...q, required: false, schema: { type: 'string' } })),
    ApiFoundResponse({
      description:
        'Always a redirect to FRONTEND_URL with `connection=<uuid>` (when known), `result=connected|error` and, on ' +
        `error, \`reason\`: one of ${AUTHORIZATION_FAILURES.map((r) => `\`${r}\``).join(', ')}.`,
      headers: {
        Location: {
          description: 'FRONTEND_URL with `connection`, `result` and `reason`.',
          required: true,
          schema: { type: 'string', format: 'uri' },
        },
      },
    }),
  );
}

export class ProviderTypeView {
  @ApiProperty({ enum: PROVIDER_KEYS }) key: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['oauth2'] }) authType: 'oauth2';
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() enabled: boolean;
}

export class ConnectionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: PROVIDER_KEYS }) providerKey: string;
  @ApiProperty({ nullable: true, type: String }) alias: string | null;
  @ApiProperty({ enum: VISIBLE_STATUSES, enumName: 'ConnectionStatus' }) status: string;
  @ApiProperty({ nullable: true, type: String }) statusReason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) connectedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastSyncedAt: string | null;
  @ApiProperty({ enum: ['idle', 'queued', 'running', 'failed'] }) syncStatus: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the last sync failed.' })
  syncStatusReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ConnectionPage {
  @ApiProperty({ type: [ConnectionView] }) items: ConnectionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuthorizationStartView {
  @ApiProperty({ format: 'uri' }) authorizationUrl: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
}

export class TokenMetadataView {
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) refreshTokenExpiresAt:
    string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastRefreshedAt:
    string | null;
  @ApiProperty({ type: 'integer', minimum: 0 }) refreshCount: number;
  @ApiProperty({ type: [String] }) scopes: string[];
}

/** Fields the event types carry (each type a subset; see docs/providers.md). */
export class ConnectionEventData {
  @ApiPropertyOptional({
    enum: [...VISIBLE_STATUSES, 'disconnected', null],
    nullable: true,
    description: 'status_changed (null: created)',
  })
  from?: string | null;
  @ApiPropertyOptional({
    enum: [...VISIBLE_STATUSES, 'disconnected'],
    description: 'status_changed',
  })
  to?: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'status_changed, authorization_failed',
  })
  reason?: string | null;
  @ApiPropertyOptional({ description: 'authorization_started, token_stored' })
  reauthorisation?: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'authorization_failed' })
  brokerageCode?: string | null;
  @ApiPropertyOptional({ format: 'date-time', description: 'token_stored, token_refreshed' })
  accessTokenExpiresAt?: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'token_stored',
  })
  refreshTokenExpiresAt?: string | null;
  @ApiPropertyOptional({ type: 'integer', description: 'token_refreshed' }) refreshCount?: number;
  @ApiPropertyOptional({ description: 'token_refresh_failed: the brokerage error code' })
  code?: string;
  @ApiPropertyOptional({
    enum: ['temporary', 'rate_limited', 'reauth_required'],
    description: 'token_refresh_failed',
  })
  kind?: string;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'token_refresh_failed' })
  httpStatus?: number | null;
  @ApiPropertyOptional({ type: 'integer', description: 'token_refresh_failed' })
  failureCount?: number;
  @ApiPropertyOptional({ format: 'date-time', description: 'token_refresh_failed' })
  nextAttemptAt?: string;
  @ApiPropertyOptional({ enum: ['refresh_token', 'access_token'], description: 'token_revoked' })
  hint?: string;
}

export class ConnectionEventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: CONNECTION_EVENT_TYPES, enumName: 'ConnectionEventType' }) type: string;
  @ApiProperty({ type: ConnectionEventData }) data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ConnectionEventPage {
  @ApiProperty({ type: [ConnectionEventView] }) items: ConnectionEventView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
