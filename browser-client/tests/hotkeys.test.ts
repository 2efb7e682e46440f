import { describe, expect, it } from 'vitest';
import { applyHotkey, hotkeyFor } from '../src/hotkeys';
import { Preferences, type SettingsStorage } from '../src/settings';

function prefs(): { prefs: Preferences; stored: Map<string, string> } {
  const stored = new Map<string, string>();
  const storage: SettingsStorage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => void stored.set(k, v) };
  return { prefs: new Preferences(storage), stored };
}

describe('hotkeys', () => {
  it('map M, N, - and + (main keys and keypad)', () => {
    expect(['KeyM', 'KeyN', 'Minus', 'Equal', 'NumpadSubtract', 'NumpadAdd', 'KeyJ'].map(hotkeyFor)).toEqual([
      'mute',
      'minimap',
      'volumeDown',
      'volumeUp',
      'volumeDown',
      'volumeUp',
      null,
    ]);
  });

  it('change and store the preferences, and tell the listeners', () => {
    const { prefs: p, stored } = prefs();
    const seen: boolean[] = [];
    p.subscribe((s) => seen.push(s.muted));
    applyHotkey(p, 'mute');
    expect(p.value.muted).toBe(true);
    expect(stored.get('mmo.muted')).toBe('true');
    applyHotkey(p, 'volumeUp');
    expect(p.value).toMatchObject({ volume: 0.7, muted: false });
    applyHotkey(p, 'volumeDown');
    applyHotkey(p, 'volumeDown');
    expect(stored.get('mmo.volume')).toBe('0.5');
    applyHotkey(p, 'minimap');
    expect(p.value.minimap).toBe(false);
    expect(seen.slice(0, 3)).toEqual([false, true, false]);
  });
});
