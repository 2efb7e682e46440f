/** The heads-up display (HP, XP and level, inventory, ping, transport) and the F3 debug overlay. */

import { SUB } from './physics';
import type { Session } from './session';
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
