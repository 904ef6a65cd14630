import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/** Nest's boot chatter: one line per module and per mapped route (~60 at start). Useful only when debugging. */
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The application logger: nestjs-pino's, with Nest's per-route boot lines moved from info to debug. */
@Injectable()
export class AppLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && BOOT_CONTEXTS.has(context)) {
      super.debug(message, ...optionalParams);
    } else {
      super.log(message, ...optionalParams);
    }
  }
}
