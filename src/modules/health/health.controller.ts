import { Controller, Get, HttpCode, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';

/** Probes for orchestrators: liveness never touches dependencies; readiness does one database round-trip. */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is up.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ description: 'The database answered.' })
  @ApiServiceUnavailableResponse({ description: 'The database did not answer (problem+json).' })
  async ready(): Promise<{ status: 'ok'; database: 'up' }> {
    try {
      // pg's pool replaces broken connections itself, so readiness recovers without a restart.
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new AppException(503, 'database_unavailable', 'The database is not reachable.');
    }
    return { status: 'ok', database: 'up' };
  }
}
