/**
 * Choosing and opening a transport: ask the gateway (`GET /api/connect`) what it offers, try
 * WebTransport first and fall back to the WebSocket when WebTransport is missing, not offered
 * or fails within a few seconds. `?transport=websocket|webtransport` forces one.
 */

import { openWebSocket } from './websocket';
import { openWebTransport, webTransportAvailable } from './webtransport';
import type { Transport, TransportHandlers } from './types';

/**
 * The gateway's answer to `GET /api/connect`. `cert_sha256_hex` is the development
 * certificate's hash to pin; null (or absent) when the gateway has a certificate browsers trust.
 * `websocket.url` is absolute (gateways from before it give only `path`, relative to the page).
 * A draining gateway answers with another gateway's URLs and certificate hash, so a page that
 * asks again after `Reconnect` moves there.
 */
export interface ConnectInfo {
  protocol_version: number;
  webtransport: { url: string; cert_sha256_hex?: string | null } | null;
  websocket: { path: string; url?: string | null };
}

export type TransportPreference = 'auto' | 'webtransport' | 'websocket';

const WEBTRANSPORT_TIMEOUT_MS = 3000;
const WEBSOCKET_TIMEOUT_MS = 5000;

/** No transport could be opened (the server is unreachable or refuses). */
export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectError';
  }
}

export function parsePreference(value: string | null): TransportPreference {
  return value === 'websocket' || value === 'webtransport' ? value : 'auto';
}

export async function fetchConnectInfo(origin: string): Promise<ConnectInfo> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/connect', origin), { cache: 'no-store' });
  } catch (e) {
    throw new ConnectError(`GET /api/connect failed: ${String(e)}`);
  }
  if (!response.ok) {
    throw new ConnectError(`GET /api/connect answered ${response.status}`);
  }
  const info = (await response.json()) as ConnectInfo;
  if (typeof info?.websocket?.path !== 'string') {
    throw new ConnectError('GET /api/connect gave no WebSocket path');
  }
  return info;
}

export function webSocketUrl(location: { protocol: string; host: string }, path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** Where to open the WebSocket: the absolute URL when the gateway gives one, else its path on the page's host. */
export function webSocketTarget(info: ConnectInfo, location: { protocol: string; host: string }): string {
  const url = info.websocket.url;
  return typeof url === 'string' && url.length > 0 ? url : webSocketUrl(location, info.websocket.path);
}

export async function openTransport(
  info: ConnectInfo,
  preference: TransportPreference,
  location: { protocol: string; host: string },
  handlers: TransportHandlers,
): Promise<Transport> {
  if (preference !== 'websocket') {
    const wt = info.webtransport;
    if (wt !== null && webTransportAvailable()) {
      try {
        return await openWebTransport(wt.url, wt.cert_sha256_hex ?? null, handlers, WEBTRANSPORT_TIMEOUT_MS);
      } catch (e) {
        if (preference === 'webtransport') {
          throw new ConnectError(`WebTransport failed: ${String(e)}`);
        }
        console.warn('WebTransport failed, falling back to WebSocket:', e);
      }
    } else if (preference === 'webtransport') {
      throw new ConnectError(wt === null ? 'the server offers no WebTransport' : 'this browser has no WebTransport');
    }
  }
  try {
    return await openWebSocket(webSocketTarget(info, location), handlers, WEBSOCKET_TIMEOUT_MS);
  } catch (e) {
    throw new ConnectError(`WebSocket failed: ${String(e)}`);
  }
}
