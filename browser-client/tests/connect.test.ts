import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectError, fetchConnectInfo, parseConnectInfo, webSocketTarget, type ConnectInfo } from '../src/transport/connect';

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
      others: [],
    };
    expect(webSocketTarget(info, page)).toBe('ws://127.0.0.1:8081/ws');
  });

  it('falls back to the path on the page host for gateways that give no URL', () => {
    const info: ConnectInfo = { protocol_version: 1, webtransport: null, websocket: { path: '/ws' }, others: [] };
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

  it('a fetch that fails (the gateway is gone) is a ConnectError', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(fetchConnectInfo('http://127.0.0.1:8080')).rejects.toBeInstanceOf(ConnectError);
    vi.stubGlobal('fetch', vi.fn(async () => new Response('not json', { status: 200 })));
    await expect(fetchConnectInfo('http://127.0.0.1:8080')).rejects.toBeInstanceOf(ConnectError);
  });

  it('gives up on an answer that does not come within its timeout', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_url: URL, init: RequestInit) =>
          new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
      ),
    );
    await expect(fetchConnectInfo('http://127.0.0.1:8080', 20)).rejects.toThrow(ConnectError);
  });
});

const own = {
  protocol_version: 6,
  webtransport: { url: 'https://127.0.0.1:4433/play', cert_sha256_hex: 'ab'.repeat(32) },
  websocket: { path: '/ws', url: 'ws://127.0.0.1:8080/ws' },
};
const gw2 = {
  webtransport: { url: 'https://127.0.0.1:4434/play', cert_sha256_hex: 'cd'.repeat(32) },
  websocket: { path: '/ws', url: 'ws://127.0.0.1:8081/ws' },
};

describe('the other gateways of /api/connect', () => {
  it('reads them, in order', async () => {
    const gw3 = { webtransport: null, websocket: { path: '/ws', url: 'wss://gw-2.example.com/ws' } };
    vi.stubGlobal('fetch', vi.fn(async () => answer({ ...own, others: [gw2, gw3] })));
    const info = await fetchConnectInfo('http://127.0.0.1:8080');
    expect(info.others).toEqual([gw2, gw3]);
    expect(info.webtransport).toEqual(own.webtransport);
    expect(webSocketTarget(info.others[0], page)).toBe('ws://127.0.0.1:8081/ws');
  });

  it('are none when the field is absent (a one-gateway world, an older gateway) or null', () => {
    expect(parseConnectInfo(own).others).toEqual([]);
    expect(parseConnectInfo({ ...own, others: null }).others).toEqual([]);
    expect(parseConnectInfo({ ...own, others: [] }).others).toEqual([]);
  });

  it('a certificate hash that is null or absent pins nothing', () => {
    const noHash = { webtransport: { url: 'https://gw.example.com:4433/play', cert_sha256_hex: null }, websocket: gw2.websocket };
    const absent = { webtransport: { url: 'https://gw.example.com:4433/play' }, websocket: gw2.websocket };
    const info = parseConnectInfo({ ...own, others: [noHash, absent] });
    expect(info.others.map((o) => o.webtransport?.cert_sha256_hex)).toEqual([null, null]);
  });

  it('leaves malformed entries out and keeps the rest (one bad record never keeps the page from its gateway)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const bad = [
      'ws://x/ws',
      null,
      { webtransport: null },
      { webtransport: null, websocket: { path: '/ws' } }, // no absolute URL: useless from another page
      { webtransport: null, websocket: { path: '/ws', url: 'http://127.0.0.1:8081/ws' } },
      { webtransport: { url: 'http://127.0.0.1:4434/play' }, websocket: gw2.websocket },
      { webtransport: { url: 'https://127.0.0.1:4434/play', cert_sha256_hex: 'xyz' }, websocket: gw2.websocket },
      { webtransport: 'https://127.0.0.1:4434/play', websocket: gw2.websocket },
    ];
    const info = parseConnectInfo({ ...own, others: [bad[0], gw2, ...bad.slice(1)] });
    expect(info.others).toEqual([gw2]);
    expect(warn).toHaveBeenCalledTimes(bad.length);
    expect(parseConnectInfo({ ...own, others: 'gw2' }).others).toEqual([]);
    warn.mockRestore();
  });

  it('refuses an answer whose own fields are malformed', () => {
    expect(() => parseConnectInfo(null)).toThrow(ConnectError);
    expect(() => parseConnectInfo({ ...own, websocket: undefined })).toThrow(/WebSocket path/);
    expect(() => parseConnectInfo({ ...own, websocket: { path: '/ws', url: 5 } })).toThrow(ConnectError);
    expect(() => parseConnectInfo({ ...own, webtransport: { url: 7 } })).toThrow(/WebTransport/);
    expect(() => parseConnectInfo({ ...own, webtransport: { url: own.webtransport.url, cert_sha256_hex: 'ab' } })).toThrow(/hash/);
    // The gateway's own WebSocket may still be given as a path only (older gateways).
    expect(parseConnectInfo({ ...own, websocket: { path: '/ws' } }).websocket).toEqual({ path: '/ws', url: null });
    expect(parseConnectInfo({ ...own, webtransport: undefined }).webtransport).toBeNull();
  });
});
