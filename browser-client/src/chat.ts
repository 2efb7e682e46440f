/**
 * The chat box: Enter focuses the input, Enter sends, Escape leaves. While the input has focus
 * the game gets no key presses (see `input.ts`).
 */

import type { ChatLine } from './session';

const VISIBLE_LINES = 8;

export class ChatBox {
  private readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly input: HTMLInputElement;
  private shownVersion = -1;

  /**
   * `send` returns whether the line was accepted; `onFocus` runs when typing starts (the game
   * releases held keys).
   */
  constructor(
    private readonly send: (text: string) => boolean,
    onFocus: () => void,
    private readonly enabled: () => boolean,
  ) {
    this.root = document.getElementById('chat') as HTMLElement;
    this.list = document.getElementById('chat-lines') as HTMLUListElement;
    this.input = document.getElementById('chat-input') as HTMLInputElement;
    this.input.addEventListener('focus', onFocus);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const text = this.input.value;
        if (text.trim() === '' || this.send(text)) {
          this.input.value = '';
        }
        this.input.blur();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.input.blur();
      }
      e.stopPropagation();
    });
    window.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && this.enabled() && document.activeElement !== this.input && !(e.target instanceof HTMLInputElement)) {
        e.preventDefault();
        this.input.focus();
      }
    });
  }

  get typing(): boolean {
    return document.activeElement === this.input;
  }

  update(lines: readonly ChatLine[], version: number, visible: boolean): void {
    this.root.hidden = !visible;
    if (version === this.shownVersion) {
      return;
    }
    this.shownVersion = version;
    const items = lines.slice(-VISIBLE_LINES).map((line) => {
      const li = document.createElement('li');
      if (line.system) {
        li.className = line.party === true ? 'system party' : 'system';
        li.textContent = line.text;
      } else {
        const from = document.createElement('span');
        from.className = 'from';
        from.textContent = line.party === true ? `[party] ${line.from}: ` : `${line.from}: `;
        li.className = line.party === true ? 'party' : '';
        li.append(from, line.text);
      }
      return li;
    });
    this.list.replaceChildren(...items);
  }
}
