/**
 * Choosing and opening a transport: ask the gateway (`GET /api/connect`) what it offers, try
 * WebTransport first and fall back to the WebSocket when WebTransport is missing, not offered
 * or fails within a few seconds. `?transport=websocket|webtransport` forces one.
 */

import { openWebSocket } from './websocket';
import { openWebTransport, webTransportAvailable } from './webtransport';
import type { Transport, TransportHandlers } from './types';

/**
 * How to reach one gateway. `cert_sha256_hex` is the development certificate's hash to pin;
 * null (or absent) when the gateway has a certificate browsers trust. `websocket.url` is
 * absolute (gateways from before it give only `path`, relative to the page).
 */
export interface GatewayConnect {
  webtransport: { url: string; cert_sha256_hex?: string | null } | null;
  websocket: { path: string; url?: string | null };
}

/**
 * The gateway's answer to `GET /api/connect`: how to reach it, and `others`, the world's other
 * gateways that take players (each with its absolute URLs), where the page resumes when this
 * one stops answering. A draining gateway answers with another gateway's URLs and certificate
 * hash, so a page that asks again after `Reconnect` moves there.
 */
export interface ConnectInfo extends GatewayConnect {
  protocol_version: number;
  /** Empty in a one-gateway world, and from gateways from before it. */
  others: GatewayConnect[];
}

export type TransportPreference = 'auto' | 'webtransport' | 'websocket';

const WEBTRANSPORT_TIMEOUT_MS = 3000;
const WEBSOCKET_TIMEOUT_MS = 5000;
/** How long `GET /api/connect` may take by default (a host that drops packets never answers). */
export const CONNECT_INFO_TIMEOUT_MS = 5000;

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

export async function fetchConnectInfo(origin: string, timeoutMs = CONNECT_INFO_TIMEOUT_MS): Promise<ConnectInfo> {
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(new URL('/api/connect', origin), { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      throw new ConnectError(`GET /api/connect answered ${response.status}`);
    }
    body = await response.json();
  } catch (e) {
    if (e instanceof ConnectError) {
      throw e;
    }
    throw new ConnectError(`GET /api/connect failed: ${String(e)}`);
  }
  return parseConnectInfo(body);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CERT_HASH_RE = /^[0-9a-fA-F]{64}$/;

/** The `webtransport` field: null when absent; throws (a message) when malformed. */
function parseWebTransport(v: unknown): GatewayConnect['webtransport'] {
  if (v === null || v === undefined) {
    return null;
  }
  if (!isObject(v) || typeof v.url !== 'string' || !/^https:\/\//.test(v.url)) {
    throw new Error('its WebTransport has no https URL');
  }
  const cert = v.cert_sha256_hex;
  if (cert !== null && cert !== undefined && (typeof cert !== 'string' || !CERT_HASH_RE.test(cert))) {
    throw new Error('its certificate hash is not 64 hex digits');
  }
  return { url: v.url, cert_sha256_hex: typeof cert === 'string' ? cert : null };
}

/** The `websocket` field; `absolute`: its `url` must be there (another gateway has no relative path). */
function parseWebSocket(v: unknown, absolute: boolean): GatewayConnect['websocket'] {
  if (!isObject(v) || typeof v.path !== 'string') {
    throw new Error('no WebSocket path');
  }
  const url = v.url;
  if (url !== null && url !== undefined && (typeof url !== 'string' || !/^wss?:\/\//.test(url))) {
    throw new Error('its WebSocket URL is not ws:// or wss://');
  }
  if (absolute && typeof url !== 'string') {
    throw new Error('no absolute WebSocket URL');
  }
  return { path: v.path, url: typeof url === 'string' ? url : null };
}

/**
 * Checks the shape of a `/api/connect` answer. The gateway's own fields must be right (a
 * ConnectError otherwise). `others` is optional: an entry that is malformed is left out (and
 * logged), so one bad record never keeps the page from its own gateway.
 */
export function parseConnectInfo(body: unknown): ConnectInfo {
  if (!isObject(body)) {
    throw new ConnectError('GET /api/connect gave no object');
  }
  let own: GatewayConnect;
  try {
    own = { webtransport: parseWebTransport(body.webtransport), websocket: parseWebSocket(body.websocket, false) };
  } catch (e) {
    throw new ConnectError(`GET /api/connect gave ${e instanceof Error ? e.message : String(e)}`);
  }
  const others: GatewayConnect[] = [];
  const list = body.others ?? [];
  if (!Array.isArray(list)) {
    console.warn('GET /api/connect: `others` is not a list; ignored');
  } else {
    for (const entry of list) {
      try {
        if (!isObject(entry)) {
          throw new Error('not an object');
        }
        others.push({ webtransport: parseWebTransport(entry.webtransport), websocket: parseWebSocket(entry.websocket, true) });
      } catch (e) {
        console.warn('GET /api/connect: an entry of `others` is left out:', e instanceof Error ? e.message : e);
      }
    }
  }
  const version = typeof body.protocol_version === 'number' ? body.protocol_version : 0;
  return { protocol_version: version, ...own, others };
}

export function webSocketUrl(location: { protocol: string; host: string }, path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** Where to open the WebSocket: the absolute URL when the gateway gives one, else its path on the page's host. */
export function webSocketTarget(info: GatewayConnect, location: { protocol: string; host: string }): string {
  const url = info.websocket.url;
  return typeof url === 'string' && url.length > 0 ? url : webSocketUrl(location, info.websocket.path);
}

/** A short name of a gateway for logs: its WebTransport URL, else its WebSocket URL. */
export function gatewayLabel(info: GatewayConnect, location: { protocol: string; host: string }): string {
  return info.webtransport?.url ?? webSocketTarget(info, location);
}

export async function openTransport(
  info: GatewayConnect,
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
