/** Calls to the coordinator's operator API (same origin as the page). */

import type { LoggedEvent, WorldState } from './model';

/** An API error: the message and the request field at fault, from the JSON error body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field: string | null,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json' } });
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const err = body as { error?: string; field?: string } | null;
    throw new ApiError(err?.error ?? `${path} answered ${response.status}`, response.status, err?.field ?? null);
  }
  return body as T;
}

export const getState = (): Promise<WorldState> => call<WorldState>('/api/state');

export const getEvents = (limit: number): Promise<LoggedEvent[]> => call<LoggedEvent[]>(`/api/events?limit=${limit}`);

export const moveCell = (cell: string, zone: number): Promise<{ cell: string; zone: number; epoch: number }> =>
  call('/api/move-cell', { method: 'POST', body: JSON.stringify({ cell, zone }) });

export const drainZone = (zone: number, undo: boolean): Promise<{ zone: number; draining: boolean }> =>
  call('/api/drain', { method: 'POST', body: JSON.stringify({ zone, undo }) });
