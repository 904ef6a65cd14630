import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** The authenticated caller, attached to the request by the global auth guard. */
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

/** Routes that need a verified email (e.g. connecting a brokerage): the auth guard answers 403 `email_not_verified`. */
export const REQUIRE_VERIFIED_EMAIL = 'dashtam:requireVerifiedEmail';
export const RequireVerifiedEmail = () => SetMetadata(REQUIRE_VERIFIED_EMAIL, true);

/** Roles a route needs (any of). Enforced by the auth module's roles guard. */
export const ROLES = 'dashtam:roles';
export const Roles = (...roles: Array<'user' | 'admin'>) => SetMetadata(ROLES, roles);
