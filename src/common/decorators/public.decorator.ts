import { SetMetadata } from '@nestjs/common';

/** Routes are authenticated by default (global guard); `@Public()` opts a route or controller out. */
export const IS_PUBLIC = 'dashtam:isPublic';
export const Public = () => SetMetadata(IS_PUBLIC, true);
