import { Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../../common/http/openapi';
import type { AuthUser } from '../../common/decorators/current-user.decorator';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { SyncRequestsService } from './sync-requests.service';

export class SyncRequestView {
  @ApiProperty({ enum: ['queued', 'running'] }) status: 'queued' | 'running';
}

/** On-demand sync of one connection (its own controller: the providers routes are another module's). */
@ApiTags('providers')
@ApiBearerAuth()
@Controller('providers')
export class SyncController {
  constructor(private readonly requests: SyncRequestsService) {}

  @Post(':id/sync')
  @HttpCode(202)
  @ApiOperation({ summary: 'Sync a connection now' })
  @ApiProblems(404, 409, 429)
  @ApiAcceptedResponse({
    type: SyncRequestView,
    description:
      '409 when the connection is not active; 429 with Retry-After inside the minimum interval.',
  })
  sync(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<SyncRequestView> {
    return this.requests.request(user.id, id);
  }
}
