import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SETTING_KEYS, clampVolume, loadSettings, saveSettings, stepVolume, type SettingsStorage } from '../src/settings';

function memoryStorage(entries: Record<string, string> = {}): SettingsStorage & { map: Map<string, string> } {
  const map = new Map(Object.entries(entries));
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

describe('settings', () => {
  it('default without storage or with nothing stored', () => {
    expect(loadSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings(memoryStorage())).toEqual({ volume: 0.6, muted: false, minimap: true });
  });

  it('round-trip through storage under the mmo.* keys', () => {
    const storage = memoryStorage();
    saveSettings(storage, { volume: 0.3, muted: true, minimap: false });
    expect(storage.map.get('mmo.volume')).toBe('0.3');
    expect(storage.map.get('mmo.muted')).toBe('true');
    expect(storage.map.get('mmo.minimap')).toBe('false');
    expect(loadSettings(storage)).toEqual({ volume: 0.3, muted: true, minimap: false });
  });

  it('a bad stored value falls back to its default; the others are kept', () => {
    const bad = memoryStorage({ [SETTING_KEYS.volume]: 'loud', [SETTING_KEYS.muted]: 'yes', [SETTING_KEYS.minimap]: 'false' });
    expect(loadSettings(bad)).toEqual({ volume: DEFAULT_SETTINGS.volume, muted: DEFAULT_SETTINGS.muted, minimap: false });
    expect(loadSettings(memoryStorage({ [SETTING_KEYS.volume]: '' })).volume).toBe(DEFAULT_SETTINGS.volume);
    expect(loadSettings(memoryStorage({ [SETTING_KEYS.volume]: 'NaN' })).volume).toBe(DEFAULT_SETTINGS.volume);
  });

  it('a volume out of range is clamped', () => {
    expect(loadSettings(memoryStorage({ [SETTING_KEYS.volume]: '7' })).volume).toBe(1);
    expect(loadSettings(memoryStorage({ [SETTING_KEYS.volume]: '-2' })).volume).toBe(0);
    expect(clampVolume(Infinity)).toBeNull();
    expect(clampVolume(0.333333)).toBe(0.33);
  });

  it('a storage that throws reads as defaults and does not break saving', () => {
    const throwing: SettingsStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadSettings(throwing)).toEqual(DEFAULT_SETTINGS);
    expect(() => saveSettings(throwing, DEFAULT_SETTINGS)).not.toThrow();
  });

  it('volume keys step by a tenth and stop at the ends', () => {
    expect(stepVolume(0.6, 1)).toBe(0.7);
    expect(stepVolume(0.2, -1)).toBe(0.1);
    expect(stepVolume(0.95, 1)).toBe(1);
    expect(stepVolume(0.05, -1)).toBe(0);
    expect(stepVolume(0.1, 2)).toBe(0.3);
  });
});
