/**
 * The running client: opens the transport, feeds the session, sends input every tick, draws
 * every animation frame and keeps the HUD, chat and login screen in step with the session.
 */

import { Sound } from './audio/sound';
import { ChatBox } from './chat';
import { Feedback } from './feedback';
import { heightTiles, widthTiles } from './geometry';
import { applyHotkey, listenHotkeys } from './hotkeys';
import { DeathScreen, DebugOverlay, FpsCounter, HurtFlash, Hud, SoundPanel } from './hud';
import { KeyboardInput } from './input';
import { lerp } from './interpolation';
import { PartyPanel } from './party';
import { LoginScreen } from './login';
import { Buttons, SUB, type Vec2 } from './physics';
import { Connector } from './connector';
import { Pose } from './protocol';
import type { Figure } from './render/figures';
import { Minimap, dotsOf } from './render/minimap';
import { TILE_PX } from './render/palette';
import { Renderer } from './render/renderer';
import { memoryTokenStore, type Session, type TokenStore } from './session';
import { Preferences, browserSettingsStorage } from './settings';
import { fetchConnectInfo, gatewayLabel, openTransport, type TransportPreference } from './transport/connect';
import type { Transport, TransportKind } from './transport/types';

export interface GameOptions {
  autoName: string | null;
  transport: TransportPreference;
}

/** Another entity as drawn now (interpolated), in tiles. */
export interface OtherEntity {
  id: number;
  name: string | null;
  kind: 'player' | 'npc';
  x: number;
  y: number;
}

const TOKEN_KEY = 'mmo.sessionToken';

/** The session token in `sessionStorage` (per tab), or in memory when storage is unavailable. */
function browserTokenStore(): TokenStore {
  try {
    const storage = window.sessionStorage;
    return {
      get: () => storage.getItem(TOKEN_KEY),
      set: (token) => storage.setItem(TOKEN_KEY, token),
      clear: () => storage.removeItem(TOKEN_KEY),
    };
  } catch {
    return memoryTokenStore();
  }
}

/** Sub-units (1/256 tile: bodies, others' positions, items) per world pixel. */
const SUB_PER_PX = SUB / TILE_PX;

export class Game {
  /** The connection: sessions, transports, reconnects (`connector.ts`). */
  readonly connector: Connector;

  private readonly keyboard = new KeyboardInput(window);
  /** The canvas renderer (the test hook reads what it drew and points its debug camera). */
  readonly renderer: Renderer;
  private readonly hud = new Hud();
  private readonly debug = new DebugOverlay();
  private readonly fps = new FpsCounter();
  private readonly partyPanel = new PartyPanel(document.querySelector<HTMLElement>('#hud .hud-column') ?? document.body);
  private readonly chat: ChatBox;
  private readonly login: LoginScreen;
  private nextTickAt = 0;
  private facingLeft = false;
  private readonly tokens = browserTokenStore();
  /** Volume, mute, minimap: kept in `localStorage`, changed by hotkeys and the HUD. */
  private readonly prefs = new Preferences(browserSettingsStorage());
  readonly sound = new Sound(this.prefs);
  /** Damage numbers, sounds, the death screen: what events look and sound like. */
  readonly feedback = new Feedback(this.sound, new HurtFlash(), new DeathScreen());
  readonly minimap = new Minimap(document.getElementById('minimap') as HTMLCanvasElement);
  private readonly soundPanel = new SoundPanel(this.prefs);

  constructor(canvas: HTMLCanvasElement, options: GameOptions) {
    this.renderer = new Renderer(canvas);
    this.sound.listen(window);
    listenHotkeys(window, (key) => applyHotkey(this.prefs, key));
    this.prefs.subscribe((s) => this.minimap.setVisible(s.minimap));
    this.chat = new ChatBox(
      (text) => this.session?.sendChat(text) ?? false,
      () => this.keyboard.clear(),
      () => this.session?.status === 'playing',
    );
    this.login = new LoginScreen(() => this.session, options.autoName);
    this.connector = new Connector({
      origin: window.location.origin,
      tokens: this.tokens,
      autoName: options.autoName,
      dialer: {
        fetchInfo: (origin) => fetchConnectInfo(origin),
        open: (gateway, handlers) => openTransport(gateway, options.transport, window.location, handlers),
        label: (gateway) => gatewayLabel(gateway, window.location),
      },
    });
  }

  get session(): Session | null {
    return this.connector.session;
  }

  get transport(): Transport | null {
    return this.connector.transport;
  }

  get transportKind(): TransportKind | null {
    return this.transport?.kind ?? null;
  }

  async start(): Promise<void> {
    this.scheduleFrames();
    this.scheduleTicks();
    await this.connector.start();
  }

  /** Input ticks on a timer (not animation frames) so they keep their pace. */
  private scheduleTicks(): void {
    this.nextTickAt = performance.now();
    setInterval(() => {
      const session = this.session;
      if (session === null) {
        return;
      }
      const now = performance.now();
      const tickMs = session.tickMs;
      if (now - this.nextTickAt > tickMs * 5) {
        this.nextTickAt = now; // the page was suspended: do not send a burst
      }
      while (now >= this.nextTickAt) {
        session.inputTick(this.currentButtons(), now);
        this.nextTickAt += tickMs;
      }
    }, 5);
  }

  private currentButtons(): number {
    if (this.chat.typing) {
      return 0;
    }
    const b = this.keyboard.buttons();
    const dir = ((b & Buttons.RIGHT) !== 0 ? 1 : 0) - ((b & Buttons.LEFT) !== 0 ? 1 : 0);
    if (dir !== 0) {
      this.facingLeft = dir < 0;
    }
    return b;
  }

  private scheduleFrames(): void {
    const frame = (now: number): void => {
      this.frame(now);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  private frame(now: number): void {
    this.fps.frame(now);
    const session = this.session;
    this.login.update(session);
    if (session === null) {
      return;
    }
    this.hud.update(session, this.transportKind);
    this.soundPanel.update(this.sound.state);
    this.debug.update(session, this.fps.fps);
    this.chat.update(session.chat, session.chatVersion, session.status === 'playing');
    this.partyPanel.update(session.party, session.name, session.status === 'playing');
    const world = session.world;
    if (world === null) {
      return;
    }
    const figures = this.figures(now);
    const self = figures.find((f) => f.isSelf);
    this.feedback.update(session, figures, this.attackHeld(), now);
    this.renderer.draw(
      {
        worldW: widthTiles(world.geometry),
        worldH: heightTiles(world.geometry),
        terrain: session.terrain,
        focusX: self === undefined ? widthTiles(world.geometry) / 2 : self.x / TILE_PX,
        focusY: self === undefined ? heightTiles(world.geometry) / 2 : self.y / TILE_PX - 1,
        items: session.ground.map((g) => ({ x: g.pos.x / SUB_PER_PX, y: g.pos.y / SUB_PER_PX, kind: g.kind })),
        figures,
        effects: this.feedback.effects,
      },
      now,
    );
    this.minimap.update(
      {
        terrain: session.terrain,
        worldW: widthTiles(world.geometry),
        worldH: heightTiles(world.geometry),
        self: self === undefined ? null : { x: self.x / TILE_PX, y: self.y / TILE_PX },
        others: dotsOf(figures),
      },
      now,
    );
  }

  /**
   * Everything to draw: others interpolated, then the player between predicted ticks. Their
   * velocities (world px per second) drive the animations: others' from where they were drawn
   * one tick earlier, the player's from its predicted body.
   */
  private figures(now: number): Figure[] {
    const session = this.session;
    if (session === null) {
      return [];
    }
    const figures: Figure[] = [];
    const pxPerSecond = 1000 / session.tickMs / SUB_PER_PX; // sub-units per tick -> px per second
    const renderTick = session.renderTick(now);
    if (renderTick !== null) {
      const before = new Map(session.others.sample(renderTick - 1).map((e) => [e.id, e.pos]));
      for (const { id, item, pos } of session.others.sample(renderTick)) {
        const prev = before.get(id) ?? pos;
        figures.push({
          id,
          kind: item.kind,
          x: pos.x / SUB_PER_PX,
          y: pos.y / SUB_PER_PX,
          hp: item.hp,
          maxHp: item.maxHp,
          pose: item.pose,
          isSelf: false,
          vx: (pos.x - prev.x) * pxPerSecond,
          vy: (pos.y - prev.y) * pxPerSecond,
          onGround: (item.pose & Pose.ON_GROUND) !== 0,
        });
      }
    }
    const own = session.own;
    const pos = this.ownDrawn(now);
    const body = session.predictor?.body ?? null;
    if (own !== null && pos !== null && body !== null && session.name !== null) {
      const pose = (own.pose & ~Pose.FACING_LEFT) | (this.facingLeft ? Pose.FACING_LEFT : 0) | (this.attackHeld() ? Pose.ATTACKING : 0);
      figures.push({
        id: own.entity,
        kind: { type: 'Player', name: session.name },
        x: pos.x / SUB_PER_PX,
        y: pos.y / SUB_PER_PX,
        hp: own.hp,
        maxHp: own.maxHp,
        pose,
        isSelf: true,
        vx: body.vel.x * pxPerSecond,
        vy: body.vel.y * pxPerSecond,
        onGround: body.onGround,
      });
    }
    return figures;
  }

  /** Whether the player holds attack (not while typing in chat). */
  private attackHeld(): boolean {
    return (this.keyboard.buttons() & Buttons.ATTACK) !== 0 && !this.chat.typing;
  }

  /** Where the player is drawn at `now`: between its last two predicted ticks. */
  ownDrawn(now: number): Vec2 | null {
    const session = this.session;
    const body = session?.predictor?.body ?? null;
    if (session === null || body === null) {
      return null;
    }
    const prev = session.predictor?.previousBody ?? body;
    const alpha = Math.min(Math.max((now - session.lastStepAt) / session.tickMs, 0), 1);
    return lerp(prev.pos, body.pos, alpha);
  }

  /** Others as drawn now, in tiles (for the test hook). */
  others(now: number): OtherEntity[] {
    const session = this.session;
    const renderTick = session?.renderTick(now) ?? null;
    if (session === null || renderTick === null) {
      return [];
    }
    return session.others.sample(renderTick).map(({ id, item, pos }) => ({
      id,
      name: item.kind.type === 'Player' ? item.kind.name : null,
      kind: item.kind.type === 'Player' ? 'player' : 'npc',
      x: pos.x / SUB,
      y: pos.y / SUB,
    }));
  }
}
