/**
 * The heads-up display (HP, XP and level, inventory, ping, transport, sound), the F3 debug
 * overlay, and the screen feedback around the world: the red flash of a blow taken and the
 * death screen with its respawn countdown.
 */

import type { AudioState } from './audio/sound';
import { SUB } from './physics';
import { respawnSecondsLeft } from './rules';
import type { Session } from './session';
import type { Preferences } from './settings';
import type { TransportKind } from './transport/types';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) {
    throw new Error(`missing #${id} in the page`);
  }
  return el as T;
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) {
    el.textContent = text;
  }
}

export const TRANSPORT_LABEL: Record<TransportKind, string> = {
  webtransport: 'WebTransport',
  websocket: 'WebSocket',
};

export class Hud {
  private readonly root = byId('hud');
  private readonly name = byId('hud-name');
  private readonly hpFill = byId('hud-hp-fill');
  private readonly hpText = byId('hud-hp-text');
  private readonly level = byId('hud-level');
  private readonly ping = byId('hud-ping');
  private readonly items = byId('hud-items');
  private readonly transport = byId('hud-transport');

  update(session: Session, transport: TransportKind | null): void {
    this.root.hidden = session.status !== 'playing';
    const own = session.own;
    setText(this.name, session.name ?? '');
    if (own !== null) {
      const fraction = own.maxHp > 0 ? Math.min(Math.max(own.hp / own.maxHp, 0), 1) : 0;
      const width = `${(fraction * 100).toFixed(1)}%`;
      if (this.hpFill.style.width !== width) {
        this.hpFill.style.width = width;
      }
      this.hpFill.classList.toggle('low', fraction <= 0.25);
      setText(this.hpText, `HP ${own.hp} / ${own.maxHp}`);
      setText(this.level, `Lv ${own.level} · ${own.xp} XP`);
    }
    setText(this.items, inventoryText(session.inventory));
    setText(this.ping, session.ping === null ? 'ping –' : `ping ${Math.round(session.ping)} ms`);
    setText(this.transport, transport === null ? '' : TRANSPORT_LABEL[transport]);
  }
}

/** The inventory line: item count and kinds, e.g. `Items 3: #1 #2 #11`. */
export function inventoryText(items: readonly { kind: number }[]): string {
  if (items.length === 0) {
    return 'No items';
  }
  return `Items ${items.length}: ${items.map((i) => `#${i.kind}`).join(' ')}`;
}

/**
 * The sound controls in the HUD's corner: a speaker button (mute), a volume slider and the
 * volume in per cent. They change the preferences; the page's hotkeys (M, -, +) do the same.
 */
export class SoundPanel {
  private readonly mute = byId<HTMLButtonElement>('hud-mute');
  private readonly slider = byId<HTMLInputElement>('hud-volume');
  private readonly text = byId('hud-volume-text');

  constructor(prefs: Preferences) {
    this.mute.addEventListener('click', () => {
      prefs.set({ muted: !prefs.value.muted });
      // Focus left on the button would make Space (jump) press it again.
      this.mute.blur();
    });
    this.slider.addEventListener('input', () => prefs.set({ volume: Number(this.slider.value) / 100, muted: false }));
    // A focused slider is a text field to the game's keyboard: hand the keys back.
    this.slider.addEventListener('change', () => this.slider.blur());
    this.slider.addEventListener('pointerup', () => this.slider.blur());
  }

  update(audio: AudioState): void {
    const percent = Math.round(audio.volume * 100);
    this.mute.classList.toggle('muted', audio.muted || percent === 0);
    this.mute.classList.toggle('quiet', percent < 50);
    this.mute.title = audio.muted ? 'Sound off (M to turn on)' : 'Sound on (M to mute, - / + volume)';
    this.mute.setAttribute('aria-pressed', String(audio.muted));
    setText(this.text, audio.muted ? 'muted' : `${percent}%`);
    if (document.activeElement !== this.slider && this.slider.value !== String(percent)) {
      this.slider.value = String(percent);
    }
    this.slider.classList.toggle('muted', audio.muted);
  }
}

/** A red vignette over the screen, flashed when the player takes a blow. */
export class HurtFlash {
  private readonly el = byId('hurt-flash');

  /** Flashes, stronger for a bigger share of the player's HP. */
  flash(fraction: number): void {
    const strength = Math.min(1, 0.45 + fraction * 4);
    this.el.animate([{ opacity: strength }, { opacity: 0 }], { duration: 420, easing: 'ease-out' });
  }
}

/**
 * The death screen: "You died" and the seconds until the server brings the player back
 * (`PLAYER_RESPAWN_TICKS` from when the client saw the death), shown while the player's pose
 * is dead and gone at the respawn.
 */
export class DeathScreen {
  private readonly el = byId('death');
  private readonly countdown = byId('death-countdown');
  private deadSince: number | null = null;

  get visible(): boolean {
    return !this.el.hidden;
  }

  update(dead: boolean, tickMs: number, nowMs: number): void {
    if (!dead) {
      this.deadSince = null;
      this.el.hidden = true;
      return;
    }
    this.deadSince ??= nowMs;
    this.el.hidden = false;
    const left = respawnSecondsLeft(nowMs - this.deadSince, tickMs);
    setText(this.countdown, left > 0 ? `Respawning in ${left}…` : 'Respawning…');
  }
}

/** Frames per second over the last second. */
export class FpsCounter {
  private frames = 0;
  private since: number | null = null;
  fps = 0;

  frame(nowMs: number): void {
    if (this.since === null) {
      this.since = nowMs;
      return;
    }
    this.frames++;
    if (nowMs - this.since >= 1000) {
      this.fps = (this.frames * 1000) / (nowMs - this.since);
      this.frames = 0;
      this.since = nowMs;
    }
  }
}

export class DebugOverlay {
  private readonly el = byId<HTMLPreElement>('debug');

  constructor() {
    window.addEventListener('keydown', (e) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (e.code === 'F3' || (e.code === 'Backquote' && !typing)) {
        e.preventDefault();
        this.el.hidden = !this.el.hidden;
      }
    });
  }

  get visible(): boolean {
    return !this.el.hidden;
  }

  update(session: Session, fps: number): void {
    if (this.el.hidden) {
      return;
    }
    const body = session.predictor?.body ?? null;
    const cell = session.cell;
    const lines = [
      `cell      ${cell === null ? '–' : `(${cell.x}, ${cell.y})`}`,
      `zone      ${session.zone ?? '–'}`,
      `tick      ${session.tick ?? '–'}`,
      `entity    ${session.selfId ?? '–'}`,
      `position  ${body === null ? '–' : `${(body.pos.x / SUB).toFixed(2)}, ${(body.pos.y / SUB).toFixed(2)}`}`,
      `velocity  ${body === null ? '–' : `${body.vel.x}, ${body.vel.y}${body.onGround ? ' ground' : ''}`}`,
      `snapshot  ${session.lastSnapshotBytes} bytes, ${session.snapshotsDropped} dropped`,
      `inputs    seq ${session.inputSeq}, ${session.predictor?.pendingCount ?? 0} pending, ${session.predictor?.corrections ?? 0} corrections`,
      `terrain   ${session.terrain?.cellCount ?? 0} cells`,
      `fps       ${fps.toFixed(0)}`,
    ];
    setText(this.el, lines.join('\n'));
  }
}
