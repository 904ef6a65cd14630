import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class HealthRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A round trip through the pool; pg replaces broken connections itself, so this recovers without a restart. */
  async pingDatabase(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
