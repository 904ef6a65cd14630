import type { PageCursor } from '../connections/connections.repository';
import { ProvidersError, ProvidersErrorCode } from './providers.errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque keyset cursor: base64url of `<createdAt ISO>|<id>` (events page on the id alone: ConnectionEventsRepository.list). */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string | undefined): PageCursor | undefined {
  if (value === undefined) return undefined;
  const invalid = () => new ProvidersError(ProvidersErrorCode.INVALID_CURSOR);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw invalid();
  const [iso, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (rest.length || !id || !UUID.test(id) || Number.isNaN(createdAt.getTime())) throw invalid();
  return { createdAt, id };
}
