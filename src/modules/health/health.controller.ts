import { Controller, Get, HttpCode, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { CheckStatus, Dependency, ReadinessService } from './readiness.service';

const DOWN_DETAIL: Record<Dependency, string> = {
  database: 'The database is not reachable.',
  redis: 'Redis is not reachable.',
};

/**
 * Probes for orchestrators: liveness never touches dependencies; readiness checks each dependency (the
 * database; Redis when REDIS_URL is set) and names the one that is down.
 */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get()
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is up.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({
    description:
      'Every dependency answered: `{ status: "ok", database: "up" }`, plus `redis: "up"` with REDIS_URL.',
  })
  @ApiServiceUnavailableResponse({
    description:
      'A dependency did not answer (problem+json): `code` names the first one down (`database_unavailable`, `redis_unavailable`), `checks` gives every state.',
  })
  async ready(): Promise<{ status: 'ok' } & Partial<Record<Dependency, CheckStatus>>> {
    const checks = await this.readiness.check();
    const down = (Object.keys(checks) as Dependency[]).filter((name) => checks[name] === 'down');
    if (down.length > 0) {
      throw new AppException(
        503,
        `${down[0]}_unavailable`,
        down.map((name) => DOWN_DETAIL[name]).join(' '),
        { checks },
      );
    }
    return { status: 'ok', ...checks };
  }
}
