import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export interface AuthUser {
  id: string;
  email: string;
  emailVerified: boolean;
  roles: string[];
  sessionId: string;
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});

export const REQUIRE_VERIFIED_EMAIL = 'dashtam:requireVerifiedEmail';
export const RequireVerifiedEmail = () => SetMetadata(REQUIRE_VERIFIED_EMAIL, true);

export const ROLES = 'dashtam:roles';
export const Roles = (...roles: Array<'user' | 'admin'>) => SetMetadata(ROLES, roles);
