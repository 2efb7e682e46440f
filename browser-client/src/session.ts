/**
 * The client's session state machine, free of I/O: it takes decoded bytes, clock readings and
 * player actions, and emits messages through `SessionOutput`. The transport, the tick timer
 * and the DOM live around it (`game.ts`); the tests drive it directly.
 *
 * Phases: connecting (Hello sent, waiting for Welcome) -> login (Login sent on demand, or at once
 * `Resume` with the session token kept from an earlier `Joined`; NameTaken, NameInvalid,
 * WrongPassword, token errors and the like keep the phase) -> playing (inputs every tick,
 * snapshots, terrain, chat) -> error or closed.
 *
 * The token of every `Joined` goes to the `TokenStore` (`sessionStorage` in the browser), so a
 * page whose connection dropped reconnects and resumes its character without logging in again.
 * A draining gateway sends `Reconnect` (or refuses with `Draining`): the session closes its
 * transport and sets `moving`, and the page connects again at once through its own address
 * (which leads to another gateway) and resumes there. A `Resume` refused for a reason that
 * passes (the name still held by a gateway that just died, a zone taking over, a full or
 * stopping gateway: `resumeCanWait`) closes the session with `resumeRefused` set, and the page
 * tries again (`connector.ts`); a token refused (invalid, expired) or a corrupt character is
 * final: the token is forgotten and the login form shown. A gateway closes a connection that
 * stayed at the login form past its deadline (`Timeout`, `--login-timeout-secs`): the session
 * sets `moving` too, and the page opens a new connection at once, the form as the player left it.
 */

import { DecodeError } from './codec';
import {
  BAD_SERVER_MESSAGE_TEXT,
  DISCONNECTED_TEXT,
  RECONNECTING_TEXT,
  STILL_PLAYING_TEXT,
  UNREACHABLE_TEXT,
  errorText,
} from './error-text';
import type { CellId } from './geometry';
import { InterpolationBuffer, ServerClock } from './interpolation';
import { MAX_CHAT_CHARS, NAME_MAX_CHARS, NAME_MIN_CHARS } from './limits';
import { partyNoticeText, type Party } from './party';
import { Predictor } from './prediction';
import {
  PROTOCOL_VERSION,
  decodeServerControl,
  decodeServerDatagram,
  errorCodeFromClose,
  isFatal,
  isTokenError,
  type ClientControl,
  type ClientDatagram,
  type ErrorCode,
  type GroundItem,
  type InventoryItem,
  type OwnState,
  type ServerControl,
  type Snapshot,
  type WorldInfo,
} from './protocol';
import { ApplyError, SnapshotHistory, type ApplyOutcome, type EntityView } from './snapshots';
import { TerrainError, TerrainMap, decodeRle } from './terrain';

export type Status = 'connecting' | 'login' | 'playing' | 'error' | 'closed';

/** Where the session's messages go (the transport, in the browser). */
export interface SessionOutput {
  control(msg: ClientControl): void;
  datagram(msg: ClientDatagram): void;
  /** Asks the transport to close, with the code of the reason when there is one. */
  close(code: ErrorCode | null): void;
}

/** Where the session token is kept between connections (`sessionStorage` in the browser). */
export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

/** A token store that forgets everything (tests, and pages without storage). */
export function memoryTokenStore(): TokenStore {
  let token: string | null = null;
  return {
    get: () => token,
    set: (t) => {
      token = t;
    },
    clear: () => {
      token = null;
    },
  };
}

export interface ChatLine {
  from: string;
  text: string;
  /** A line from the client itself (an error about chat) or party news, not from a player. */
  system: boolean;
  /** Said to the player's party (`/p`), not in the cells around. */
  party?: boolean;
}

/** How many of the newest inputs each input datagram carries (the last is the newest). */
export const INPUTS_PER_DATAGRAM = 4;
const MAX_CHAT_LINES = 100;
/** Ticks others are drawn behind the newest estimate of the server tick (~100 ms at 20 Hz). */
export const INTERPOLATION_DELAY_MS = 100;

const NAME_RE = /^[A-Za-z0-9_-]+$/;

/** Checks a name like `validate_name`: 3 to 16 ASCII letters, digits, `_` or `-`. */
export function validName(name: string): boolean {
  return name.length >= NAME_MIN_CHARS && name.length <= NAME_MAX_CHARS && NAME_RE.test(name);
}

/**
 * Refusals of a `Resume` that a later try can mend: the name is still held (by the session of
 * a gateway that died, until its lease expires), the character's zone or the store is taking
 * over, the gateway is full, stopping or draining. Token errors and a corrupt character are
 * final.
 */
const RESUME_CAN_WAIT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NameTaken',
  'ServerFull',
  'ZoneUnavailable',
  'ShuttingDown',
  'Internal',
  'StoreUnavailable',
  'Draining',
]);

/** Whether a `Resume` refused with `code` should be tried again (see `RESUME_CAN_WAIT`). */
export function resumeCanWait(code: ErrorCode): boolean {
  return RESUME_CAN_WAIT.has(code);
}

/** Checks a chat line like `validate_chat`: not blank, at most 200 chars, no control chars. */
export function validChat(text: string): boolean {
  return text.trim().length > 0 && [...text].length <= MAX_CHAT_CHARS && !/\p{Cc}/u.test(text);
}

export class Session {
  status: Status = 'connecting';
  /** What went wrong, for the player; null when nothing did. */
  error: string | null = null;
  world: WorldInfo | null = null;
  sessionId: number | null = null;
  selfId: number | null = null;
  name: string | null = null;
  /** The zone simulating the player. */
  zone: number | null = null;
  cell: CellId | null = null;
  /** The newest snapshot tick applied. */
  tick: number | null = null;
  own: OwnState | null = null;
  /** The player's inventory, as the server last sent it. */
  inventory: InventoryItem[] = [];
  /** The items on the ground in view, by serial. */
  ground: GroundItem[] = [];
  terrain: TerrainMap | null = null;
  predictor: Predictor | null = null;
  readonly history = new SnapshotHistory(32);
  readonly others = new InterpolationBuffer<EntityView>(40);
  readonly clock = new ServerClock(50);
  readonly chat: ChatLine[] = [];
  /** Input round trip in ms (smoothed), null before the first sample. */
  ping: number | null = null;
  lastSnapshotBytes = 0;
  snapshotsDropped = 0;
  /** Local time of the last predicted step, for drawing between ticks. */
  lastStepAt = 0;
  /** The player's party as the gateway last said (no members: in none). */
  party: Party = { leader: '', members: [] };
  /** Bumped whenever the chat lines change, so the UI knows to redraw them. */
  chatVersion = 0;

  private seq = 0;
  private recent: number[] = [];
  private readonly sentAt = new Map<number, number>();

  /** Whether the login in flight is a `Resume` with the stored token. */
  resuming = false;
  /**
   * The gateway asked us to move (it is draining): once the transport closes, connect again
   * through the page's address and resume with the token.
   */
  moving = false;
  /**
   * The `Resume` was refused for a reason that passes (`resumeCanWait`): the session closed,
   * keeping the token, to be tried again on a new connection.
   */
  resumeRefused: ErrorCode | null = null;
  /**
   * The gateway said the world stalls for this session (`Stalled`: its zone died and is being
   * taken over) and no snapshot came since: the page shows it and waits.
   */
  stalled = false;

  constructor(
    private readonly out: SessionOutput,
    private readonly autoName: string | null = null,
    private readonly tokens: TokenStore = memoryTokenStore(),
  ) {}

  get tickMs(): number {
    return this.world?.clock.tickMs ?? 50;
  }

  get inputSeq(): number {
    return this.seq;
  }

  /** The transport is open: introduce ourselves. */
  start(): void {
    this.out.control({ type: 'Hello', version: PROTOCOL_VERSION });
  }

  handleControlBytes(bytes: Uint8Array): void {
    let msg: ServerControl;
    try {
      msg = decodeServerControl(bytes);
    } catch (e) {
      this.protocolFailure(e);
      return;
    }
    this.handleControl(msg);
  }

  handleDatagramBytes(bytes: Uint8Array, nowMs: number): void {
    let snap: Snapshot;
    try {
      snap = decodeServerDatagram(bytes);
    } catch (e) {
      this.protocolFailure(e);
      return;
    }
    this.handleSnapshot(snap, bytes.length, nowMs);
  }

  handleControl(msg: ServerControl): void {
    switch (msg.type) {
      case 'Welcome':
        if (msg.version !== PROTOCOL_VERSION) {
          this.fail(errorText('VersionMismatch'), 'VersionMismatch');
          return;
        }
        this.world = msg.world;
        this.sessionId = msg.session;
        this.terrain = new TerrainMap(msg.world.geometry.cellTiles);
        this.predictor = new Predictor(this.terrain);
        this.clock.setTickMs(msg.world.clock.tickMs);
        this.status = 'login';
        if (this.tokens.get() !== null) {
          this.resume();
        } else if (this.autoName !== null) {
          this.login(this.autoName);
        }
        return;
      case 'Joined':
        this.tokens.set(msg.token);
        this.resuming = false;
        this.selfId = msg.entity;
        this.ground = [];
        this.name = msg.name;
        this.zone = msg.zone;
        this.status = 'playing';
        this.error = null;
        return;
      case 'Terrain':
        this.addTerrain(msg.cell, msg.rle);
        return;
      case 'Chat':
        this.addChat({ from: msg.from, text: msg.text, system: false });
        return;
      case 'Error':
        this.handleError(msg.code);
        return;
      case 'Inventory':
        this.inventory = msg.items;
        return;
      case 'Ground':
        this.ground = msg.items;
        return;
      case 'Reconnect':
        this.move();
        return;
      case 'Stalled':
        this.stalled = true;
        return;
      case 'Party':
        this.party = { leader: msg.leader, members: msg.members };
        return;
      case 'PartyChat':
        this.addChat({ from: msg.from, text: msg.text, system: false, party: true });
        return;
      case 'PartyNotice':
        this.addChat({ from: '', text: partyNoticeText(msg.notice), system: true, party: true });
        return;
    }
  }

  handleSnapshot(snap: Snapshot, size: number, nowMs: number): void {
    if (this.world === null || this.predictor === null) {
      return;
    }
    this.stalled = false;
    this.lastSnapshotBytes = size;
    let outcome: ApplyOutcome;
    try {
      outcome = this.history.apply(snap);
    } catch (e) {
      this.protocolFailure(e);
      return;
    }
    if (!outcome.ok) {
      // Its baseline is gone: we keep acknowledging our newest view, so a full one follows.
      this.snapshotsDropped++;
      return;
    }
    const view = outcome.view;
    this.clock.observe(view.tick, nowMs);
    this.others.push(view.tick, view.byId);
    if (view.tick !== this.history.newestTick) {
      return; // a late one: kept as a baseline and for interpolation only
    }
    const you = view.you;
    this.own = you;
    this.selfId = you.entity;
    this.zone = you.zone;
    this.cell = you.cell;
    this.tick = view.tick;
    this.predictor.reconcile(you.body, you.lastInputSeq);
    this.samplePing(you.lastInputSeq, nowMs);
  }

  /** The transport closed (code is the close code, if the transport reported one). */
  handleClose(code: number | null): void {
    if (this.status === 'error' || this.status === 'closed') {
      return;
    }
    const reason = errorCodeFromClose(code);
    if (reason === 'Draining') {
      this.move();
    } else if (reason === 'Timeout' && this.idleAtLogin) {
      this.move();
    } else if (reason !== null && this.resuming && resumeCanWait(reason)) {
      this.retryResume(reason);
    } else if (reason !== null) {
      this.status = 'error';
      this.error = errorText(reason);
    } else if (this.status === 'connecting') {
      this.status = 'error';
      this.error = UNREACHABLE_TEXT;
    } else {
      this.status = 'closed';
      this.error = DISCONNECTED_TEXT;
    }
  }

  /** The transport could not make sense of what the server sent. */
  handleMalformed(reason: string): void {
    console.error('malformed data from the server:', reason);
    this.fail(BAD_SERVER_MESSAGE_TEXT, 'MalformedMessage');
  }

  /** No transport could be opened. */
  handleUnreachable(): void {
    this.status = 'error';
    this.error = UNREACHABLE_TEXT;
  }

  /**
   * Reconnecting gave up (no gateway could be reached, or the resume kept being refused): the
   * error shown, with the Reload button; `refused`: the newest refusal of a resume, if any.
   * The token stays for a reload to resume with.
   */
  giveUp(refused: ErrorCode | null = this.resumeRefused): void {
    this.status = 'error';
    const code = refused;
    this.error = code === null ? UNREACHABLE_TEXT : code === 'NameTaken' ? STILL_PLAYING_TEXT : errorText(code);
  }

  /**
   * Asks to join as `name` (with `password` an account, without a guest); returns false (and
   * sets `error`) if the name or password is invalid.
   */
  login(name: string, password: string | null = null): boolean {
    if (this.status !== 'login') {
      return false;
    }
    if (!validName(name)) {
      this.error = errorText('NameInvalid');
      return false;
    }
    if (password !== null && (password.length < 8 || password.length > 128)) {
      this.error = errorText('PasswordInvalid');
      return false;
    }
    this.error = null;
    this.out.control({ type: 'Login', name, password });
    return true;
  }

  /** Resumes the character of the stored token (after a reconnect). */
  private resume(): void {
    const token = this.tokens.get();
    if (token === null) {
      return;
    }
    this.resuming = true;
    this.out.control({ type: 'Resume', token });
  }

  /** Sends a chat line; returns false (with a system line) if it cannot be sent. */
  sendChat(text: string): boolean {
    if (this.status !== 'playing') {
      return false;
    }
    if (!validChat(text)) {
      this.addChat({ from: '', text: errorText('ChatInvalid'), system: true });
      return false;
    }
    this.out.control({ type: 'Chat', text });
    return true;
  }

  /** One client tick: record, predict and send this tick's buttons. */
  inputTick(buttons: number, nowMs: number): void {
    if (this.status !== 'playing' || this.predictor === null) {
      return;
    }
    this.seq++;
    this.predictor.push(this.seq, buttons);
    this.lastStepAt = nowMs;
    this.sentAt.set(this.seq, nowMs);
    if (this.sentAt.size > 256) {
      const oldest = this.sentAt.keys().next().value as number;
      this.sentAt.delete(oldest);
    }
    this.recent.push(buttons);
    if (this.recent.length > INPUTS_PER_DATAGRAM) {
      this.recent.shift();
    }
    this.out.datagram({ type: 'Input', seq: this.seq, ack: this.history.newestTick, buttons: [...this.recent] });
  }

  /** The fractional server tick at which others are drawn. */
  renderTick(nowMs: number): number | null {
    const now = this.clock.tickAt(nowMs);
    return now === null ? null : now - INTERPOLATION_DELAY_MS / this.tickMs;
  }

  private samplePing(lastInputSeq: number, nowMs: number): void {
    let newest: number | null = null;
    for (const [seq, at] of this.sentAt) {
      if (seq > lastInputSeq) {
        break;
      }
      newest = at;
      this.sentAt.delete(seq);
    }
    if (newest !== null) {
      const sample = nowMs - newest;
      this.ping = this.ping === null ? sample : this.ping * 0.8 + sample * 0.2;
    }
  }

  private addTerrain(cell: CellId, rle: Uint8Array): void {
    if (this.world === null || this.terrain === null || cell.depth !== 0) {
      return;
    }
    try {
      this.terrain.insert(decodeRle(this.world.geometry, cell, rle));
    } catch (e) {
      if (e instanceof TerrainError) {
        console.warn(`terrain of cell ${cell.x},${cell.y} ignored: ${e.message}`);
        return;
      }
      throw e;
    }
  }

  private addChat(line: ChatLine): void {
    this.chat.push(line);
    if (this.chat.length > MAX_CHAT_LINES) {
      this.chat.splice(0, this.chat.length - MAX_CHAT_LINES);
    }
    this.chatVersion++;
  }

  /** At the login form (not resuming with a token). */
  private get idleAtLogin(): boolean {
    return this.status === 'login' && !this.resuming;
  }

  /**
   * The gateway is draining, or closed the connection idle at the login form: leave it; the
   * page connects again at once (and resumes, with a token).
   */
  private move(): void {
    if (this.moving) {
      return;
    }
    const idle = this.idleAtLogin;
    this.moving = true;
    this.resuming = false;
    this.status = 'closed';
    this.error = idle ? null : errorText('Draining');
    this.out.close(null);
  }

  /** The resume was refused for a reason that passes: close, keep the token, try again later. */
  private retryResume(code: ErrorCode): void {
    this.resumeRefused = code;
    this.resuming = false;
    this.status = 'closed';
    this.error = RECONNECTING_TEXT;
    this.out.close(null);
  }

  private handleError(code: ErrorCode): void {
    if (code === 'Draining') {
      this.move();
    } else if (code === 'Timeout' && this.idleAtLogin) {
      this.move();
    } else if (this.resuming && this.status === 'login' && resumeCanWait(code)) {
      this.retryResume(code);
    } else if (isFatal(code)) {
      this.fail(errorText(code), null);
    } else if (this.status === 'login') {
      if (isTokenError(code) || this.resuming) {
        // The saved session is no use: forget it and let the player log in.
        this.tokens.clear();
        this.resuming = false;
        if (this.autoName !== null && isTokenError(code)) {
          this.login(this.autoName);
          return;
        }
      }
      this.error = errorText(code);
    } else {
      this.addChat({ from: '', text: errorText(code), system: true });
    }
  }

  /** A message that cannot be decoded, or a snapshot that does not fit its baseline. */
  private protocolFailure(e: unknown): void {
    if (!(e instanceof DecodeError || e instanceof ApplyError)) {
      throw e;
    }
    console.error('undecodable or inconsistent message from the server:', e.message);
    this.fail(BAD_SERVER_MESSAGE_TEXT, 'MalformedMessage');
  }

  /** Ends the session with `text`; closes the transport (with `code`) when we end it. */
  private fail(text: string, code: ErrorCode | null): void {
    if (this.status === 'error') {
      return;
    }
    this.status = 'error';
    this.error = text;
    if (code !== null) {
      this.out.close(code);
    }
  }
}
