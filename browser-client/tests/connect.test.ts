import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchConnectInfo, webSocketTarget, type ConnectInfo } from '../src/transport/connect';

const page = { protocol: 'http:', host: '127.0.0.1:8080' };

function answer(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('connect info', () => {
  it('opens the WebSocket at the absolute URL the gateway gives', () => {
    const info: ConnectInfo = {
      protocol_version: 1,
      webtransport: null,
      websocket: { path: '/ws', url: 'ws://127.0.0.1:8081/ws' },
    };
    expect(webSocketTarget(info, page)).toBe('ws://127.0.0.1:8081/ws');
  });

  it('falls back to the path on the page host for gateways that give no URL', () => {
    const info: ConnectInfo = { protocol_version: 1, webtransport: null, websocket: { path: '/ws' } };
    expect(webSocketTarget(info, page)).toBe('ws://127.0.0.1:8080/ws');
    expect(webSocketTarget({ ...info, websocket: { path: '/ws', url: null } }, { protocol: 'https:', host: 'x' })).toBe(
      'wss://x/ws',
    );
  });

  it('a draining gateway answer leads to the other gateway, with that gateway certificate', async () => {
    // The page's own gateway drains: /api/connect of the page's origin names gateway 2.
    const other = {
      protocol_version: 1,
      webtransport: { url: 'https://127.0.0.1:4434/play', cert_sha256_hex: 'cd'.repeat(32) },
      websocket: { path: '/ws', url: 'ws://127.0.0.1:8081/ws' },
    };
    const fetchMock = vi.fn(async () => answer(other));
    vi.stubGlobal('fetch', fetchMock);
    const info = await fetchConnectInfo('http://127.0.0.1:8080');
    expect(String((fetchMock.mock.calls[0] as unknown[])[0])).toBe('http://127.0.0.1:8080/api/connect');
    expect(info.webtransport?.url).toBe('https://127.0.0.1:4434/play');
    expect(info.webtransport?.cert_sha256_hex).toBe('cd'.repeat(32));
    expect(webSocketTarget(info, page)).toBe('ws://127.0.0.1:8081/ws');
  });

  it('a draining gateway with nowhere to send the page answers 503: no transport is tried', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('draining', { status: 503 })));
    await expect(fetchConnectInfo('http://127.0.0.1:8080')).rejects.toThrow(/503/);
  });
});
