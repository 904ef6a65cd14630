import { Module } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { AppConfig } from '../../../../config';
import { InjectConfig } from '../../../../config';
import { SandboxOAuthController } from './sandbox-oauth.controller';

// Whether the sandbox exists is known only after the module graph is fixed; routes are mapped later (at
// `app.init()`), so dropping the controller here leaves a plain 404 when the sandbox is off.
@Module({ controllers: [SandboxOAuthController] })
export class SandboxOAuthServerModule {
  constructor(@InjectConfig() config: AppConfig, modules: ModulesContainer) {
    if (config.providers.sandbox) return;
    for (const mod of modules.values()) mod.controllers.delete(SandboxOAuthController);
  }
}
