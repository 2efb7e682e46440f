/**
 * Keyboard to button bits. A/D or arrows move, W/Up/Space jump, J or X attack, S/Down drops
 * through platforms. Keys typed into a text field (chat, login) are not game input.
 */

import { Buttons } from './physics';

const KEY_BUTTONS: Record<string, number> = {
  KeyA: Buttons.LEFT,
  ArrowLeft: Buttons.LEFT,
  KeyD: Buttons.RIGHT,
  ArrowRight: Buttons.RIGHT,
  KeyW: Buttons.JUMP,
  ArrowUp: Buttons.JUMP,
  Space: Buttons.JUMP,
  KeyJ: Buttons.ATTACK,
  KeyX: Buttons.ATTACK,
  KeyS: Buttons.DOWN,
  ArrowDown: Buttons.DOWN,
};

/** The buttons a key code maps to, 0 if none. */
export function buttonsForKey(code: string): number {
  return KEY_BUTTONS[code] ?? 0;
}

function isTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}

export class KeyboardInput {
  private readonly held = new Set<string>();

  constructor(target: Window) {
    target.addEventListener('keydown', (e) => {
      if (isTextField(e.target) || e.ctrlKey || e.metaKey || e.altKey) {
        return;
      }
      if (buttonsForKey(e.code) !== 0) {
        this.held.add(e.code);
        e.preventDefault();
      }
    });
    target.addEventListener('keyup', (e) => {
      this.held.delete(e.code);
    });
    target.addEventListener('blur', () => this.clear());
  }

  /** Forgets held keys (focus moved to a text field or away from the page). */
  clear(): void {
    this.held.clear();
  }

  /** The button bits held now. */
  buttons(): number {
    let bits = 0;
    for (const code of this.held) {
      bits |= buttonsForKey(code);
    }
    return bits;
  }
}
