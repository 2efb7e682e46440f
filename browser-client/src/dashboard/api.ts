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

/** Where the operator's API token is kept for this tab (asked for on the first 401). */
const TOKEN_KEY = 'mmo.apiToken';

function headers(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const base = { 'content-type': 'application/json', accept: 'application/json' };
  return token ? { ...base, authorization: `Bearer ${token}` } : base;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response = await fetch(path, { ...init, headers: headers() });
  if (response.status === 401) {
    // The coordinator requires its API token for changes: ask once, keep it for this tab.
    const token = window.prompt('This coordinator needs its API token (MMO_API_TOKEN):');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      response = await fetch(path, { ...init, headers: headers() });
    }
  }
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

export const splitCell = (cell: string): Promise<{ cell: string; quarters: string[]; epoch: number }> =>
  call('/api/split-cell', { method: 'POST', body: JSON.stringify({ cell }) });

export const mergeCell = (cell: string): Promise<{ cell: string; epoch: number }> =>
  call('/api/merge-cell', { method: 'POST', body: JSON.stringify({ cell }) });

export const drainZone = (zone: number, undo: boolean): Promise<{ zone: number; draining: boolean }> =>
  call('/api/drain', { method: 'POST', body: JSON.stringify({ zone, undo }) });
