import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

export class CreateConnectionDto {
  @ApiProperty({ example: 'schwab' })
  @IsString()
  @Matches(/^[a-z0-9_-]{1,64}$/)
  providerKey: string;

  @ApiPropertyOptional({ example: 'My IRA', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  alias?: string;
}

export class UpdateConnectionDto {
  @ApiProperty({ nullable: true, maxLength: 100 })
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

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (`nextCursor`).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ProviderTypeView {
  @ApiProperty() key: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['oauth2'] }) authType: 'oauth2';
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() enabled: boolean;
}

export class ConnectionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() providerKey: string;
  @ApiProperty({ nullable: true, type: String }) alias: string | null;
  @ApiProperty({ enum: ['pending_auth', 'active', 'expiring', 'degraded', 'reauth_required'] })
  status: string;
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
  @ApiProperty() authorizationUrl: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
}

export class TokenMetadataView {
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) refreshTokenExpiresAt:
    string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastRefreshedAt:
    string | null;
  @ApiProperty() refreshCount: number;
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class ConnectionEventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() type: string;
  @ApiProperty({ type: Object }) data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ConnectionEventPage {
  @ApiProperty({ type: [ConnectionEventView] }) items: ConnectionEventView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
