/**
 * The connector with fake gateways and fake timers: the order in which a reconnect tries
 * gateways, its retries and its end, resume refusals that pass, and the watchdog.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connector, RECONNECT_WINDOW_MS, WATCHDOG_MS, dialAny, reconnectDelay, type Dialer } from '../src/connector';
import { STILL_PLAYING_TEXT, UNREACHABLE_TEXT, errorText } from '../src/error-text';
import {
  PROTOCOL_VERSION,
  decodeClientControl,
  encodeServerControl,
  encodeServerDatagram,
  type ClientControl,
  type ErrorCode,
  type ServerControl,
} from '../src/protocol';
import { memoryTokenStore, type TokenStore } from '../src/session';
import { ConnectError, type ConnectInfo, type GatewayConnect } from '../src/transport/connect';
import type { Transport, TransportHandlers } from '../src/transport/types';
import { fullSnapshot } from './fixtures';

const ORIGIN = 'http://127.0.0.1:8080';

function gateway(port: number): GatewayConnect {
  return { webtransport: null, websocket: { path: '/ws', url: `ws://127.0.0.1:${port}/ws` } };
}

const welcome: ServerControl = {
  type: 'Welcome',
  version: PROTOCOL_VERSION,
  session: 1,
  world: { geometry: { widthCells: 4, heightCells: 2, cellTiles: 16 }, clock: { epochMs: 0, tickMs: 50 } },
};

/** How a fake gateway answers a `Resume` or `Login`: joins, or refuses (and closes when fatal). */
type Answer = 'join' | ErrorCode;

/** One open connection to a fake gateway. */
class FakeTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly object = {} as WebSocket;
  readonly controls: ClientControl[] = [];
  closedWith: number | null | undefined = undefined;
  private tick = 1000;

  constructor(
    readonly url: string,
    private readonly handlers: TransportHandlers,
    private readonly answer: () => Answer,
  ) {}

  sendControl(bytes: Uint8Array): void {
    const msg = decodeClientControl(bytes);
    this.controls.push(msg);
    // The gateway answers at once (synchronously, as if the network took no time).
    if (msg.type === 'Hello') {
      this.serve(welcome);
    } else if (msg.type === 'Resume' || msg.type === 'Login') {
      const answer = this.answer();
      if (answer === 'join') {
        this.serve({ type: 'Joined', entity: 7, name: 'ada', zone: 1, tick: this.tick, token: `tok-${this.url}` });
      } else {
        this.serve({ type: 'Error', code: answer });
      }
    }
  }

  sendDatagram(): void {}

  close(code?: number): void {
    this.closedWith ??= code ?? null;
  }

  serve(msg: ServerControl): void {
    this.handlers.onControl(encodeServerControl(msg));
  }

  snapshot(): void {
    this.tick++;
    this.handlers.onDatagram(encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(this.tick) }));
  }

  /** The connection breaks (a killed gateway over the WebSocket: closed without a code). */
  drop(): void {
    this.handlers.onClose({ code: 1006, reason: '' });
  }
}

/** Fake gateways by WebSocket URL, and the page's origin, each up or down. */
class FakeWorld implements Dialer {
  originUp = true;
  /** What the origin's /api/connect answers (its own gateway first). */
  originInfo: ConnectInfo = { protocol_version: PROTOCOL_VERSION, ...gateway(8080), others: [gateway(8081), gateway(8082)] };
  readonly up = new Set<string>(['ws://127.0.0.1:8080/ws', 'ws://127.0.0.1:8081/ws', 'ws://127.0.0.1:8082/ws']);
  /** What every gateway answers a resume with (in turn; the last one repeats). */
  answers: Answer[] = ['join'];
  /** Everything tried, in order: `fetch ORIGIN` or `open URL` (+ ` failed`). */
  readonly log: string[] = [];
  readonly opened: FakeTransport[] = [];

  get last(): FakeTransport {
    return this.opened[this.opened.length - 1];
  }

  fetchInfo(origin: string): Promise<ConnectInfo> {
    this.log.push(`fetch ${origin}${this.originUp ? '' : ' failed'}`);
    return this.originUp ? Promise.resolve(this.originInfo) : Promise.reject(new ConnectError('connection refused'));
  }

  open(target: GatewayConnect, handlers: TransportHandlers): Promise<Transport> {
    const url = target.websocket.url ?? '';
    const up = this.up.has(url);
    this.log.push(`open ${url}${up ? '' : ' failed'}`);
    if (!up) {
      return Promise.reject(new ConnectError('WebSocket failed'));
    }
    const transport = new FakeTransport(url, handlers, () => (this.answers.length > 1 ? this.answers.shift()! : this.answers[0]));
    this.opened.push(transport);
    return Promise.resolve(transport);
  }

  label(target: GatewayConnect): string {
    return target.websocket.url ?? '?';
  }
}

let world: FakeWorld;
let tokens: TokenStore;
let connector: Connector;

function makeConnector(autoName: string | null = 'ada'): Connector {
  connector = new Connector({ origin: ORIGIN, dialer: world, tokens, autoName, now: () => Date.now() });
  return connector;
}

/** Starts and plays on the origin's gateway (logged in by the automatic name). */
async function playing(): Promise<FakeTransport> {
  makeConnector();
  await connector.start();
  expect(connector.session?.status).toBe('playing');
  world.log.length = 0;
  return world.last;
}

/** Lets time pass in steps, a snapshot every 50 ms on `from` (if given) while it is open. */
async function pass(ms: number, from?: FakeTransport): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    if (from !== undefined && from.closedWith === undefined) {
      from.snapshot();
    }
    await vi.advanceTimersByTimeAsync(50);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  world = new FakeWorld();
  tokens = memoryTokenStore();
});

afterEach(() => {
  connector?.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the order of gateways a connection tries', () => {
  it('takes the gateway the origin names, and remembers its others', async () => {
    const remembered: GatewayConnect[][] = [];
    const handlers = {} as TransportHandlers;
    const t = (await dialAny(world, ORIGIN, [gateway(9000)], handlers, (o) => remembered.push(o))) as FakeTransport;
    expect(t.url).toBe('ws://127.0.0.1:8080/ws');
    expect(world.log).toEqual([`fetch ${ORIGIN}`, 'open ws://127.0.0.1:8080/ws']);
    expect(remembered).toEqual([[gateway(8081), gateway(8082)]]);
  });

  it('opens the remembered others in turn when the origin cannot be fetched', async () => {
    world.originUp = false;
    world.up.delete('ws://127.0.0.1:8081/ws');
    const remember = vi.fn();
    const t = (await dialAny(world, ORIGIN, [gateway(8081), gateway(8082)], {} as TransportHandlers, remember)) as FakeTransport;
    expect(t.url).toBe('ws://127.0.0.1:8082/ws');
    expect(world.log).toEqual([`fetch ${ORIGIN} failed`, 'open ws://127.0.0.1:8081/ws failed', 'open ws://127.0.0.1:8082/ws']);
    expect(remember).not.toHaveBeenCalled();
  });

  it('tries the others of the fresh answer when the gateway the origin names cannot be opened', async () => {
    world.up.delete('ws://127.0.0.1:8080/ws');
    const t = (await dialAny(world, ORIGIN, [gateway(9000)], {} as TransportHandlers, () => undefined)) as FakeTransport;
    expect(t.url).toBe('ws://127.0.0.1:8081/ws');
    expect(world.log).toEqual([`fetch ${ORIGIN}`, 'open ws://127.0.0.1:8080/ws failed', 'open ws://127.0.0.1:8081/ws']);
  });

  it('fails with a ConnectError naming every gateway tried when none answers', async () => {
    world.originUp = false;
    world.up.clear();
    await expect(dialAny(world, ORIGIN, [gateway(8081)], {} as TransportHandlers, () => undefined)).rejects.toThrow(
      /no gateway could be reached.*8080.*8081/,
    );
  });

  it('waits longer after each failed attempt, up to a second', () => {
    expect([0, 1, 2, 3, 4, 5, 30].map(reconnectDelay)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

describe('a reconnect after the page gateway died', () => {
  it('resumes on another gateway directly, with the token, without a login', async () => {
    const first = await playing();
    expect(connector.others).toEqual([gateway(8081), gateway(8082)]);
    const token = tokens.get();
    expect(token).toBe('tok-ws://127.0.0.1:8080/ws');

    // The origin's gateway is killed: its WebSocket breaks, its /api/connect is gone.
    world.originUp = false;
    world.up.delete('ws://127.0.0.1:8080/ws');
    first.drop();
    expect(connector.session?.status).toBe('closed');
    expect(connector.reconnecting).toBe(true);
    await pass(200);

    expect(world.log).toEqual([`fetch ${ORIGIN} failed`, 'open ws://127.0.0.1:8081/ws']);
    const second = world.last;
    expect(second.controls).toEqual([
      { type: 'Hello', version: PROTOCOL_VERSION },
      { type: 'Resume', token },
    ]);
    expect(connector.session?.status).toBe('playing');
    expect(connector.session?.name).toBe('ada');
    expect(connector.transport?.url).toBe('ws://127.0.0.1:8081/ws');
    expect(connector.reconnecting).toBe(false);
    expect(connector.resumes).toBe(1);
  });

  it('retries a resume refused while the dead gateway still holds the name (NameTaken), then plays', async () => {
    const first = await playing();
    world.originUp = false;
    world.up.delete('ws://127.0.0.1:8080/ws');
    world.answers = ['NameTaken', 'NameTaken', 'join'];
    first.drop();
    await pass(100);
    expect(connector.session?.status, 'a refusal that passes closes, it is no login error').toBe('closed');
    expect(connector.session?.resumeRefused).toBe('NameTaken');
    expect(world.last.closedWith, 'the page closes that connection itself').toBeNull();
    expect(tokens.get(), 'the token is kept').not.toBeNull();
    await pass(2000);
    expect(connector.session?.status).toBe('playing');
    const resumes = world.opened.slice(1).map((t) => t.controls.filter((c) => c.type === 'Resume').length);
    expect(resumes).toEqual([1, 1, 1]);
    expect(world.opened.slice(1).every((t) => t.controls.every((c) => c.type !== 'Login'))).toBe(true);
  });

  it('retries refusals that end the connection (ZoneUnavailable, ServerFull, Draining)', async () => {
    const first = await playing();
    world.answers = ['ZoneUnavailable', 'ServerFull', 'Draining', 'join'];
    first.drop();
    await pass(3000);
    expect(connector.session?.status).toBe('playing');
    expect(world.opened).toHaveLength(5);
  });

  it('does not retry a refused token: the login form is shown, the token forgotten', async () => {
    tokens.set('old-token');
    world.answers = ['TokenExpired'];
    makeConnector(null); // a player who logged in through the form: no name to fall back on
    await connector.start();
    expect(world.last.controls.at(-1)).toEqual({ type: 'Resume', token: 'old-token' });
    expect(connector.session?.status).toBe('login');
    expect(connector.session?.error).toBe(errorText('TokenExpired'));
    expect(tokens.get()).toBeNull();
    await pass(3000);
    expect(world.opened).toHaveLength(1);
    expect(connector.reconnecting).toBe(false);
  });

  it('does not retry a corrupt character', async () => {
    const first = await playing();
    world.answers = ['CharacterCorrupt'];
    first.drop();
    await pass(3000);
    expect(world.opened).toHaveLength(2);
    expect(connector.session?.status).toBe('login');
    expect(connector.session?.error).toBe(errorText('CharacterCorrupt'));
    expect(connector.reconnecting).toBe(false);
  });

  it('keeps trying for about 20 s, then shows that the server cannot be reached', async () => {
    const first = await playing();
    world.originUp = false;
    world.up.clear();
    const lostAt = Date.now();
    first.drop();
    await pass(RECONNECT_WINDOW_MS - 1500);
    expect(connector.session?.status).toBe('connecting');
    const attempts = world.log.filter((l) => l.startsWith('fetch')).length;
    expect(attempts).toBeGreaterThan(15);
    expect(attempts).toBeLessThan(25);
    // Each attempt: the origin, then every remembered other gateway.
    expect(world.log.slice(0, 3)).toEqual([`fetch ${ORIGIN} failed`, 'open ws://127.0.0.1:8081/ws failed', 'open ws://127.0.0.1:8082/ws failed']);
    await pass(2000);
    expect(connector.session?.status).toBe('error');
    expect(connector.session?.error).toBe(UNREACHABLE_TEXT);
    expect(connector.reconnecting).toBe(false);
    const tries = world.log.filter((l) => l.startsWith('fetch')).length;
    await pass(5000);
    expect(world.log.filter((l) => l.startsWith('fetch')).length, 'no attempt after giving up').toBe(tries);
    expect(Date.now() - lostAt).toBeGreaterThan(RECONNECT_WINDOW_MS);
    expect(tokens.get(), 'a reload can still resume').not.toBeNull();
  });

  it('gives up on a name held for too long with its own message', async () => {
    const first = await playing();
    world.answers = ['NameTaken'];
    first.drop();
    await pass(RECONNECT_WINDOW_MS + 1000);
    expect(connector.session?.status).toBe('error');
    expect(connector.session?.error).toBe(STILL_PLAYING_TEXT);
  });

  it('goes at once when a draining gateway asks to move, through the origin', async () => {
    const first = await playing();
    first.serve({ type: 'Reconnect' });
    expect(first.closedWith).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(world.log).toEqual([`fetch ${ORIGIN}`, 'open ws://127.0.0.1:8080/ws']);
    expect(connector.session?.status).toBe('playing');
  });

  it('opens a new connection at once when the gateway ends one idle at the login form', async () => {
    makeConnector(null);
    await connector.start();
    const first = world.last;
    expect(connector.session?.status).toBe('login');
    first.serve({ type: 'Error', code: 'Timeout' });
    first.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(world.opened).toHaveLength(2);
    expect([connector.session?.status, connector.session?.error, connector.reconnecting]).toEqual(['login', null, false]);
    expect(connector.session?.login('ada')).toBe(true);
    expect(connector.session?.status).toBe('playing');
  });

  it('shows an unreachable server at once on the first connection (no reconnect)', async () => {
    world.originUp = false;
    makeConnector();
    expect(await connector.start()).toBe(false);
    expect(connector.session?.status).toBe('error');
    expect(connector.reconnecting).toBe(false);
    await pass(2000);
    expect(world.log).toEqual([`fetch ${ORIGIN} failed`]);
  });
});

describe('the watchdog', () => {
  it('takes a playing connection that brings no snapshot for 3 s as lost, closes it and reconnects', async () => {
    const first = await playing();
    await pass(2000, first);
    expect(first.closedWith, 'snapshots keep it alive').toBeUndefined();
    // The gateway is killed over WebTransport: no close arrives, nothing else either.
    world.originUp = false;
    world.up.delete('ws://127.0.0.1:8080/ws');
    const silentFrom = Date.now();
    await pass(WATCHDOG_MS - 300);
    expect(first.closedWith).toBeUndefined();
    expect(connector.session?.status).toBe('playing');
    await pass(600);
    expect(first.closedWith, 'the page closed it').toBeNull();
    const lostAfter = Date.now() - silentFrom;
    expect(lostAfter).toBeGreaterThanOrEqual(WATCHDOG_MS);
    await pass(500);
    expect(connector.session?.status).toBe('playing');
    expect(connector.transport?.url).toBe('ws://127.0.0.1:8081/ws');
    expect(world.log).toEqual([`fetch ${ORIGIN} failed`, 'open ws://127.0.0.1:8081/ws']);
    // A late close of the old transport changes nothing.
    first.drop();
    expect(connector.session?.status).toBe('playing');
    expect(connector.reconnecting).toBe(false);
  });

  it('waits through a stall the gateway announces, and takes the gateway as lost once it falls silent', async () => {
    const first = await playing();
    // The player's zone died: no snapshot, but the gateway says `Stalled` every half second.
    for (let n = 0; n < 10; n++) {
      await pass(500);
      first.serve({ type: 'Stalled' });
    }
    expect(first.closedWith, 'five seconds of notices: still the same connection').toBeUndefined();
    expect([connector.session?.status, connector.session?.stalled]).toEqual(['playing', true]);
    first.snapshot();
    expect(connector.session?.stalled, 'snapshots are back').toBe(false);
    // Then the gateway dies: nothing at all comes any more.
    world.originUp = false;
    world.up.delete('ws://127.0.0.1:8080/ws');
    await pass(WATCHDOG_MS + 300);
    expect(first.closedWith, 'the page closed it').toBeNull();
  });

  it('keeps watching the new connection after a resume', async () => {
    const first = await playing();
    first.drop();
    await pass(300);
    const second = world.last;
    expect(second).not.toBe(first);
    await pass(2500, second);
    expect(second.closedWith).toBeUndefined();
    await pass(WATCHDOG_MS + 300);
    expect(second.closedWith).toBeNull();
  });

  it('does not fire before the player plays (a login form may stay open for long)', async () => {
    makeConnector(null);
    await connector.start();
    expect(connector.session?.status).toBe('login');
    await pass(10_000);
    expect(world.last.closedWith).toBeUndefined();
    expect(world.opened).toHaveLength(1);
  });
});
