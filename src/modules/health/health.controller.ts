import { Controller, Get, HttpCode, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { Public } from '../../common/decorators/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ApiProblems } from '../../common/http/openapi';

export class LivenessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

export class ReadinessView {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ enum: ['up'] }) database: 'up';
}

/** Probes for orchestrators: liveness never touches dependencies; readiness does one database round-trip. */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ description: 'The process is up.', type: LivenessView })
  live(): LivenessView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers' })
  @ApiOkResponse({ description: 'The database answered.', type: ReadinessView })
  @ApiProblems(503)
  async ready(): Promise<ReadinessView> {
    try {
      // pg's pool replaces broken connections itself, so readiness recovers without a restart.
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new AppException(503, 'database_unavailable', 'The database is not reachable.');
    }
    return { status: 'ok', database: 'up' };
  }
}
