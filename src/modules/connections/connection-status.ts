export type ConnectionStatus =
  'pending_auth' | 'active' | 'expiring' | 'degraded' | 'reauth_required' | 'disconnected';

/** The statuses a connection may move to from each status; `disconnected` is final. */
const TRANSITIONS: Record<ConnectionStatus, readonly ConnectionStatus[]> = {
  pending_auth: ['active', 'expiring', 'disconnected'],
  active: ['expiring', 'degraded', 'reauth_required', 'disconnected'],
  expiring: ['active', 'degraded', 'reauth_required', 'disconnected'],
  degraded: ['active', 'expiring', 'reauth_required', 'disconnected'],
  reauth_required: ['active', 'expiring', 'disconnected'],
  disconnected: [],
};

export function canTransition(from: ConnectionStatus, to: ConnectionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}
