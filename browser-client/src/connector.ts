/**
 * The page's connection to the game: opens a transport and a `Session` on it, and keeps the
 * player in the game when that connection is lost.
 *
 * A reconnect starts when a playing session's connection closes without an error code, when
 * nothing (no snapshot, no `Stalled` notice) came for `WATCHDOG_MS` while playing (a killed
 * gateway over WebTransport sends no close; the browser may notice only at its idle timeout;
 * a gateway whose player's zone died says `Stalled` every half second: the page waits), when a
 * draining gateway asks the session to move, or when a `Resume` is refused for a reason that
 * passes (`resumeCanWait`). Each attempt (`dialAny`) asks `/api/connect` of the page's origin
 * first, and when that cannot be fetched (the page's own gateway is gone) or its transport
 * cannot be opened, opens each of the other gateways the newest answer named (`others`)
 * directly; the new session resumes the character with the stored token. Attempts follow each
 * other with a growing delay (`reconnectDelay`, capped at 1 s) for `RECONNECT_WINDOW_MS`; then
 * the session shows the error with its Reload button. No DOM here: `game.ts` gives it the
 * browser's fetch and transports, the tests fakes.
 */

import { errorCodeFromClose, errorCodeValue, encodeClientControl, encodeClientDatagram, type ErrorCode } from './protocol';
import { Session, type TokenStore } from './session';
import { ConnectError, type ConnectInfo, type GatewayConnect } from './transport/connect';
import type { CloseInfo, Transport, TransportHandlers } from './transport/types';

/** How a reconnect keeps trying, in total, before it gives up. */
export const RECONNECT_WINDOW_MS = 20_000;
/** A playing session that got no snapshot for this long is taken as lost. */
export const WATCHDOG_MS = 3000;
/** How often the watchdog looks. */
export const WATCHDOG_CHECK_MS = 250;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;

/** The wait before attempt `attempt` (0-based) of a reconnect: 100, 200, 400, 800, then 1000 ms. */
export function reconnectDelay(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.min(attempt, 10), MAX_DELAY_MS);
}

/** What the connector needs from the outside world (the browser, or a test's fakes). */
export interface Dialer {
  /** `GET /api/connect` of `origin`; throws `ConnectError` when it cannot be fetched. */
  fetchInfo(origin: string): Promise<ConnectInfo>;
  /** Opens a transport to `gateway` (as preferred: WebTransport, then its WebSocket); throws `ConnectError`. */
  open(gateway: GatewayConnect, handlers: TransportHandlers): Promise<Transport>;
  /** A short name of `gateway` for the log. */
  label(gateway: GatewayConnect): string;
}

/**
 * Opens a transport to some gateway: first the one `/api/connect` of `origin` names (its
 * answer's `others` go to `remember` and are the list tried next); when that cannot be fetched,
 * or its transport cannot be opened, each of the `remembered` other gateways in turn. Throws
 * `ConnectError` when none could be opened.
 */
export async function dialAny(
  dialer: Dialer,
  origin: string,
  remembered: readonly GatewayConnect[],
  handlers: TransportHandlers,
  remember: (others: GatewayConnect[]) => void,
): Promise<Transport> {
  const failures: string[] = [];
  let others = remembered;
  try {
    const info = await dialer.fetchInfo(origin);
    remember(info.others);
    others = info.others;
    try {
      return await dialer.open(info, handlers);
    } catch (e) {
      if (!(e instanceof ConnectError)) {
        throw e;
      }
      failures.push(`${dialer.label(info)}: ${e.message}`);
    }
  } catch (e) {
    if (!(e instanceof ConnectError)) {
      throw e;
    }
    failures.push(`${origin}: ${e.message}`);
  }
  for (const other of others) {
    try {
      const transport = await dialer.open(other, handlers);
      console.info(`connected to another gateway directly: ${dialer.label(other)}`);
      return transport;
    } catch (e) {
      if (!(e instanceof ConnectError)) {
        throw e;
      }
      failures.push(`${dialer.label(other)}: ${e.message}`);
    }
  }
  throw new ConnectError(`no gateway could be reached (${failures.join('; ')})`);
}

export interface ConnectorOptions {
  /** The page's origin: whose `/api/connect` is asked first. */
  origin: string;
  dialer: Dialer;
  tokens: TokenStore;
  autoName: string | null;
  /** Milliseconds, monotonic (`performance.now` in the browser). */
  now?: () => number;
}

/** One reconnect: from the loss of a connection until the player plays again or it gives up. */
interface Reconnect {
  startedAt: number;
  deadline: number;
  /** Attempts started. */
  attempts: number;
  /** The newest refusal of a resume that could pass, for the message when it gives up. */
  refused: ErrorCode | null;
}

export class Connector {
  /** The current session (a new one for every attempt), null before the first. */
  session: Session | null = null;
  /** The open transport of the current session, null while none is. */
  transport: Transport | null = null;
  /** The other gateways of the newest `/api/connect` answer. */
  others: GatewayConnect[] = [];
  /** Connections opened (each with its own session). */
  opened = 0;
  /** Reconnects that got the player back, and how long the newest took (ms). */
  resumes = 0;
  lastResumeMs: number | null = null;

  /** Bumped whenever the current session is left: events of earlier transports are ignored. */
  private generation = 0;
  private reconnect: Reconnect | null = null;
  /** When the current playing session last heard a datagram or a `Stalled` notice (or joined). */
  private heardAt = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ConnectorOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a reconnect is under way. */
  get reconnecting(): boolean {
    return this.reconnect !== null;
  }

  /** The first connection (false if no gateway could be reached: the session shows it). */
  async start(): Promise<boolean> {
    this.watchdog ??= setInterval(() => this.checkAlive(), WATCHDOG_CHECK_MS);
    return this.attempt();
  }

  /** Stops everything (tests): no more attempts, the transport closed. */
  stop(): void {
    if (this.watchdog !== null) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
    this.reconnect = null;
    const transport = this.transport;
    this.leave();
    transport?.close();
  }

  /** Leaves the current transport: its later events are ignored. */
  private leave(): void {
    this.generation++;
    this.transport = null;
  }

  /** Opens a transport (`dialAny`) and a new session on it; false if none could be opened. */
  private async attempt(): Promise<boolean> {
    const generation = ++this.generation;
    this.transport = null;
    const session = this.newSession(generation);
    this.session = session;
    if (this.reconnect !== null) {
      this.reconnect.attempts++;
    }
    let transport: Transport;
    try {
      transport = await dialAny(this.options.dialer, this.options.origin, this.others, this.handlers(generation, session), (others) => {
        this.others = others;
      });
    } catch (e) {
      if (!(e instanceof ConnectError)) {
        throw e;
      }
      console.warn('connecting failed:', e.message);
      if (generation !== this.generation) {
        return false;
      }
      if (this.reconnect === null) {
        session.handleUnreachable(); // the first connection: nothing to resume
      } else {
        this.tryAgain(session);
      }
      return false;
    }
    if (generation !== this.generation) {
      transport.close();
      return false;
    }
    this.transport = transport;
    this.opened++;
    session.start();
    return true;
  }

  private newSession(generation: number): Session {
    const session: Session = new Session(
      {
        control: (msg) => {
          if (generation === this.generation) {
            this.transport?.sendControl(encodeClientControl(msg));
          }
        },
        datagram: (msg) => {
          if (generation === this.generation) {
            this.transport?.sendDatagram(encodeClientDatagram(msg));
          }
        },
        // The session ends its connection (a move, a resume to try again, a protocol failure):
        // do not wait for the transport to report its close.
        close: (code) => {
          if (generation !== this.generation) {
            return;
          }
          const transport = this.transport;
          this.leave();
          transport?.close(code === null ? undefined : 4000 + errorCodeValue(code));
          this.ended(session, null, false, false);
        },
      },
      this.options.autoName,
      this.options.tokens,
    );
    return session;
  }

  private handlers(generation: number, session: Session): TransportHandlers {
    return {
      onControl: (bytes) => {
        if (generation !== this.generation) {
          return;
        }
        const before = session.status;
        session.handleControlBytes(bytes);
        if (session.stalled) {
          this.heardAt = this.now(); // the gateway is alive; the world stalls
        }
        if (generation === this.generation && before !== 'playing' && session.status === 'playing') {
          this.joined();
        } else if (this.reconnect !== null && session.status === 'login' && !session.resuming) {
          // The token was refused: the player logs in by hand (the form is shown).
          this.reconnect = null;
        }
      },
      onDatagram: (bytes) => {
        if (generation !== this.generation) {
          return;
        }
        const now = this.now();
        this.heardAt = now;
        session.handleDatagramBytes(bytes, now);
      },
      onMalformed: (reason) => {
        if (generation === this.generation) {
          session.handleMalformed(reason);
        }
      },
      onClose: (info: CloseInfo) => {
        if (generation !== this.generation) {
          return;
        }
        const before = session.status;
        const wasResuming = session.resuming;
        this.leave();
        session.handleClose(info.code);
        this.ended(session, before, wasResuming, errorCodeFromClose(info.code) !== null);
      },
    };
  }

  /** The current session joined: a reconnect is over. */
  private joined(): void {
    this.heardAt = this.now();
    const reconnect = this.reconnect;
    if (reconnect !== null) {
      this.reconnect = null;
      this.resumes++;
      this.lastResumeMs = this.now() - reconnect.startedAt;
      console.info(`playing again after ${Math.round(this.lastResumeMs)} ms (${reconnect.attempts} attempt(s))`);
    }
  }

  /**
   * A session's connection ended (`before`: its status until then, null when the session
   * ended it itself; `coded`: closed with an error code). Decides whether to connect again.
   */
  private ended(session: Session, before: Session['status'] | null, wasResuming: boolean, coded: boolean): void {
    if (session.moving || session.resumeRefused !== null) {
      this.tryAgain(session);
    } else if (before === 'playing' && session.status === 'closed' && this.options.tokens.get() !== null) {
      this.tryAgain(session); // dropped while playing
    } else if (this.reconnect !== null && !coded && (before === 'connecting' || (before === 'login' && wasResuming))) {
      this.tryAgain(session); // an attempt's connection dropped before the resume was answered
    } else {
      this.reconnect = null; // a final error: the session shows it
    }
  }

  /** Schedules the next attempt of the reconnect (starting one), or gives up past its window. */
  private tryAgain(session: Session): void {
    const now = this.now();
    if (this.reconnect === null) {
      this.reconnect = { startedAt: now, deadline: now + RECONNECT_WINDOW_MS, attempts: 0, refused: null };
      console.info('connection lost: reconnecting');
    }
    const reconnect = this.reconnect;
    reconnect.refused = session.resumeRefused ?? reconnect.refused;
    // A draining gateway's move goes at once; anything else waits a little, more each time.
    const delay = session.moving && reconnect.attempts === 0 ? 0 : reconnectDelay(reconnect.attempts);
    if (now + delay > reconnect.deadline) {
      console.warn(`reconnecting gave up after ${reconnect.attempts} attempt(s) in ${Math.round(now - reconnect.startedAt)} ms`);
      this.reconnect = null;
      session.giveUp(reconnect.refused);
      return;
    }
    const generation = this.generation;
    setTimeout(() => {
      // Stopped, or something else connected meanwhile.
      if (this.reconnect !== reconnect || generation !== this.generation) {
        return;
      }
      this.attempt().catch((e: unknown) => console.error('reconnecting failed:', e));
    }, delay);
  }

  /** The watchdog: a playing session that heard nothing for `WATCHDOG_MS` is taken as lost. */
  checkAlive(): void {
    const session = this.session;
    const transport = this.transport;
    if (session === null || transport === null || session.status !== 'playing') {
      return;
    }
    const silent = this.now() - this.heardAt;
    if (silent < WATCHDOG_MS) {
      return;
    }
    console.warn(`no snapshot for ${Math.round(silent)} ms: the connection is taken as lost`);
    this.leave();
    transport.close();
    session.handleClose(null);
    this.tryAgain(session);
  }
}
