import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

// Passwords: the DTO only bounds the size (argon2 input); the service checks 8–128 characters in code points.
const PASSWORD_INPUT_MAX = 512;

/** A display name: no NUL or other control characters, and not blank (the service stores it trimmed). */
const NAME_PATTERN = /^(?=[^]*\S)[^\p{Cc}]*$/u;
const NAME_MESSAGE = 'name must be non-blank text without control characters';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128, description: 'Counted in Unicode code points.' })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  password: string;

  @ApiPropertyOptional({ maxLength: 100, type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string | null;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  password: string;
}

export class EmailDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class TokenDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  refreshToken: string;
}

export class UpdateMeDto {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  currentPassword: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  newPassword: string;
}

export class ResetConfirmDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  token: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MaxLength(PASSWORD_INPUT_MAX)
  newPassword: string;
}

export class RegisteredResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class MeResponse extends RegisteredResponse {
  @ApiProperty({ enum: ['user', 'admin'], isArray: true, example: ['user'] }) roles: string[];
}

export class TokenPairResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty() refreshToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ type: 'integer', example: 900, description: 'Access token lifetime in seconds' })
  expiresIn: number;
}

export class SessionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt: string;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty() current: boolean;
}
