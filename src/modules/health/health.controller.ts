import { Controller, Get, HttpCode, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ApiProblems } from '../../common/http/openapi';
import { CheckStatus, Dependency, ReadinessService } from './readiness.service';

export class LivenessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

export class ReadinessView implements Partial<Record<Dependency, CheckStatus>> {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ enum: ['up'] }) database: 'up';
  @ApiPropertyOptional({ enum: ['up'], description: 'Present when REDIS_URL is set.' })
  redis?: 'up';
}

const DOWN_DETAIL: Record<Dependency, string> = {
  database: 'The database is not reachable.',
  redis: 'Redis is not reachable.',
};

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ description: 'The process is up.', type: LivenessView })
  live(): LivenessView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: every dependency answers' })
  @ApiOkResponse({
    description: 'The database (and Redis, with REDIS_URL) answered.',
    type: ReadinessView,
  })
  @ApiProblems(503)
  async ready(): Promise<ReadinessView> {
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
    // Nothing is down, so every dependency checked is up.
    return { status: 'ok', database: 'up', ...(checks.redis ? { redis: 'up' as const } : {}) };
  }
}
