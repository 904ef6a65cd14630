import { SetMetadata } from '@nestjs/common';

// Routes are authenticated by default (global guard).
export const IS_PUBLIC = 'dashtam:isPublic';
export const Public = () => SetMetadata(IS_PUBLIC, true);
