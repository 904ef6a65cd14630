import { MeResponse, RegisteredResponse, SessionResponse, TokenPairResponse } from './auth.dto';
import type { SessionEntity } from './session.entity';
import type { UserEntity } from './user.entity';

export function toUserView(user: UserEntity): MeResponse {
  return { ...toRegisteredView(user), roles: user.roles };
}

export function toRegisteredView(user: UserEntity): RegisteredResponse {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export function toSessionView(session: SessionEntity, currentSessionId: string): SessionResponse {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
  };
}

export function toTokenPair(
  accessToken: string,
  refreshToken: string,
  expiresIn: number,
): TokenPairResponse {
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn };
}
