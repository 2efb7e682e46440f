/**
 * `window.__mmo`: a read-only view of the client for end-to-end tests and the console.
 * Positions are in tiles; `entities()` is what is drawn (others, interpolated).
 */

import type { AudioState } from './audio/sound';
import type { GameEventType } from './events';
import { nearestCave, nearestTrapdoor } from './cave';
import type { Game, OtherEntity } from './game';
import type { ActiveText } from './render/effects';
import { SUB } from './physics';
import type { Drawn } from './render/renderer';
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
  /** The player's party as its panel shows it (members in the gateway's order). */
  party(): { leader: string; members: { name: string; hp: number; maxHp: number; level: number; online: boolean }[] };
  /** The party panel's text as drawn on the page ('' while it is hidden). */
  partyPanelText(): string;
  sendChat(text: string): boolean;
  /**
   * What the canvas showed last: frames drawn, the camera's focus (tiles), whether it looked
   * from inside a cave, and the player's animation and frame.
   */
  drawn(): Drawn;
  /** The nearest place inside a cave (open cave all around it) to the player, in tiles, or null. */
  nearestCave(): { x: number; y: number } | null;
  /** The nearest cave entrance's trapdoor to the player: the middle of it and its row (tiles), or null. */
  nearestTrapdoor(): { x: number; y: number } | null;
  /**
   * Debug camera: look at tile `(x, y)` instead of the player; `lookAt(null)` follows the player
   * again.
   */
  lookAt(x: number | null, y?: number): void;
  /** Floating texts (damage numbers, `+10 XP`) alive now, where drawn (world pixels). */
  effects(): ActiveText[];
  /** Levels of the level-up bursts showing now. */
  levelUps(): number[];
  /** Game events handled since the page loaded, by type (`events.ts`). */
  events(): Partial<Record<GameEventType, number>>;
  /** Mute, volume, whether audio runs, and sounds started by name. */
  audio(): AudioState;
  /** Whether the minimap shows, and how often its terrain layer was rebuilt. */
  minimap(): { visible: boolean; layerBuilds: number };
  /** Whether the death screen shows. */
  readonly deathScreen: boolean;
}

/** How far from the player `nearestCave` looks (tiles). */
const CAVE_SEARCH_TILES = 60;

declare global {
  interface Window {
    __mmo: TestHook;
  }
}

export function installTestHook(game: Game): void {
  const renderer = game.renderer;
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
    party() {
      const party = game.session?.party ?? { leader: '', members: [] };
      return { leader: party.leader, members: party.members.map((m) => ({ ...m })) };
    },
    partyPanelText() {
      const panel = document.getElementById('party');
      return panel === null || panel.hidden ? '' : (panel.textContent ?? '');
    },
    sendChat(text: string) {
      return game.session?.sendChat(text) ?? false;
    },
    drawn() {
      return renderer.drawn;
    },
    nearestCave() {
      const view = renderer.terrainView;
      const body = game.session?.predictor?.body ?? null;
      return view === null || body === null ? null : nearestCave(view.surfaces, view.worldH, body.pos.x / SUB, body.pos.y / SUB, CAVE_SEARCH_TILES);
    },
    nearestTrapdoor() {
      const view = renderer.terrainView;
      const body = game.session?.predictor?.body ?? null;
      return view === null || body === null ? null : nearestTrapdoor(view.surfaces, view.probe, view.worldH, body.pos.x / SUB, CAVE_SEARCH_TILES);
    },
    lookAt(x: number | null, y?: number) {
      renderer.lookAt = x === null || y === undefined ? null : { x, y };
    },
    effects() {
      return game.feedback.effects.active(performance.now());
    },
    levelUps() {
      return game.feedback.effects.activeLevelUps(performance.now());
    },
    events() {
      return Object.fromEntries(game.feedback.counts);
    },
    audio() {
      return game.sound.state;
    },
    minimap() {
      return { visible: game.minimap.visible, layerBuilds: game.minimap.layerBuilds };
    },
    get deathScreen() {
      return game.feedback.deathVisible;
    },
  };
  Object.defineProperty(window, '__mmo', { value: Object.freeze(hook), writable: false, configurable: false });
}
