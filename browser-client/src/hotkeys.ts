/**
 * Keys for the page rather than the character: M mutes, - and + (or the keypad's) change the
 * volume, N shows or hides the minimap. Like game keys they do nothing while the player types
 * into a text field (chat, login) or holds Ctrl, Alt or Meta (browser shortcuts such as Ctrl +).
 */

import { stepVolume, type Preferences } from './settings';

export type Hotkey = 'mute' | 'volumeDown' | 'volumeUp' | 'minimap';

const HOTKEYS: Record<string, Hotkey> = {
  KeyM: 'mute',
  KeyN: 'minimap',
  Minus: 'volumeDown',
  NumpadSubtract: 'volumeDown',
  Equal: 'volumeUp',
  NumpadAdd: 'volumeUp',
};

/** The action of key `code`, null if none. */
export function hotkeyFor(code: string): Hotkey | null {
  return HOTKEYS[code] ?? null;
}

/** Calls `act` for each hotkey pressed on `target` (toggles not again while the key is held). */
export function listenHotkeys(target: Window, act: (key: Hotkey) => void): void {
  target.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement && e.target.type !== 'range';
    if (typing || e.target instanceof HTMLTextAreaElement || e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    const key = hotkeyFor(e.code);
    if (key === null || (e.repeat && (key === 'mute' || key === 'minimap'))) {
      return;
    }
    e.preventDefault();
    act(key);
  });
}

/** What a hotkey does to the preferences. Changing the volume turns the sound back on. */
export function applyHotkey(prefs: Preferences, key: Hotkey): void {
  const s = prefs.value;
  switch (key) {
    case 'mute':
      prefs.set({ muted: !s.muted });
      return;
    case 'volumeDown':
    case 'volumeUp':
      prefs.set({ volume: stepVolume(s.volume, key === 'volumeUp' ? 1 : -1), muted: false });
      return;
    case 'minimap':
      prefs.set({ minimap: !s.minimap });
      return;
  }
}
