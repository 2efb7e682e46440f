/**
 * `window.__mmo`: a read-only view of the client for end-to-end tests and the console.
 * Positions are in tiles; `entities()` is what is drawn (others, interpolated).
 */

import type { Game, OtherEntity } from './game';
import { SUB } from './physics';
import type { Status } from './session';
import type { TransportKind } from './transport/types';

export interface TestHook {
  readonly status: Status;
  readonly error: string | null;
  readonly transport: TransportKind | null;
  readonly transportObject: WebTransport | WebSocket | null;
  /** Where the transport was opened (its WebTransport or WebSocket URL). */
  readonly transportUrl: string | null;
  /** The player's name once joined. */
  readonly name: string | null;
  /** How many other gateways the newest `/api/connect` answer named. */
  readonly otherGateways: number;
  /** Connections the page opened (a new one after a loss, a move, or a login form left idle). */
  readonly connections: number;
  /** Reconnects that got the player back, and how long the newest took (ms). */
  readonly resumes: number;
  readonly lastResumeMs: number | null;
  readonly selfId: number | null;
  readonly zone: number | null;
  readonly cell: { x: number; y: number } | null;
  readonly tick: number | null;
  self(): { x: number; y: number } | null;
  /** Where the player is drawn now (between its last two predicted ticks), in tiles. */
  drawnSelf(): { x: number; y: number } | null;
  entities(): OtherEntity[];
  chat(): { from: string; text: string }[];
  /** Items on the ground in view: serial, kind and position in tiles. */
  ground(): { serial: number; kind: number; x: number; y: number }[];
  /** The player's items (serials). */
  inventory(): number[];
  sendChat(text: string): boolean;
}

declare global {
  interface Window {
    __mmo: TestHook;
  }
}

export function installTestHook(game: Game): void {
  const hook: TestHook = {
    get status() {
      return game.session?.status ?? 'connecting';
    },
    get error() {
      return game.session?.error ?? null;
    },
    get transport() {
      return game.transport?.kind ?? null;
    },
    get transportObject() {
      return game.transport?.object ?? null;
    },
    get transportUrl() {
      return game.transport?.url ?? null;
    },
    get name() {
      return game.session?.name ?? null;
    },
    get otherGateways() {
      return game.connector.others.length;
    },
    get connections() {
      return game.connector.opened;
    },
    get resumes() {
      return game.connector.resumes;
    },
    get lastResumeMs() {
      return game.connector.lastResumeMs;
    },
    get selfId() {
      return game.session?.selfId ?? null;
    },
    get zone() {
      return game.session?.zone ?? null;
    },
    get cell() {
      const c = game.session?.cell ?? null;
      return c === null ? null : { x: c.x, y: c.y };
    },
    get tick() {
      return game.session?.tick ?? null;
    },
    self() {
      const body = game.session?.predictor?.body ?? null;
      return body === null ? null : { x: body.pos.x / SUB, y: body.pos.y / SUB };
    },
    drawnSelf() {
      const pos = game.ownDrawn(performance.now());
      return pos === null ? null : { x: pos.x / SUB, y: pos.y / SUB };
    },
    entities() {
      return game.others(performance.now());
    },
    chat() {
      return (game.session?.chat ?? []).filter((l) => !l.system).map((l) => ({ from: l.from, text: l.text }));
    },
    ground() {
      return (game.session?.ground ?? []).map((g) => ({ serial: g.serial, kind: g.kind, x: g.pos.x / SUB, y: g.pos.y / SUB }));
    },
    inventory() {
      return (game.session?.inventory ?? []).map((i) => i.serial);
    },
    sendChat(text: string) {
      return game.session?.sendChat(text) ?? false;
    },
  };
  Object.defineProperty(window, '__mmo', { value: Object.freeze(hook), writable: false, configurable: false });
}
