/**
 * The player's preferences kept across page loads in `localStorage`: sound volume, mute and
 * whether the minimap shows. A missing or unreadable value (storage off, a hand-edited key)
 * falls back to its default; a volume out of range is clamped.
 */

export interface Settings {
  /** Master volume, 0 to 1 in steps of `VOLUME_STEP`. */
  volume: number;
  muted: boolean;
  minimap: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = { volume: 0.6, muted: false, minimap: true };

/** How much one press of the volume keys changes the volume. */
export const VOLUME_STEP = 0.1;

export const SETTING_KEYS = { volume: 'mmo.volume', muted: 'mmo.muted', minimap: 'mmo.minimap' } as const;

/** The part of `Storage` used here (tests pass a Map-backed one). */
export type SettingsStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** A volume in 0..1 rounded to hundredths (no float dust like 0.30000000000000004); null if not a number. */
export function clampVolume(v: number): number | null {
  if (!Number.isFinite(v)) {
    return null;
  }
  return Math.round(Math.min(Math.max(v, 0), 1) * 100) / 100;
}

function parseBool(text: string | null): boolean | null {
  return text === 'true' ? true : text === 'false' ? false : null;
}

function parseVolume(text: string | null): number | null {
  // `Number('')` is 0 and `Number(' ')` too: an empty value is not a volume.
  return text === null || text.trim() === '' ? null : clampVolume(Number(text));
}

/** Reads the settings, each from its key or its default. */
export function loadSettings(storage: SettingsStorage | null): Settings {
  const read = (key: string): string | null => {
    try {
      return storage?.getItem(key) ?? null;
    } catch {
      return null; // storage denied (privacy mode, sandboxed frame)
    }
  };
  return {
    volume: parseVolume(read(SETTING_KEYS.volume)) ?? DEFAULT_SETTINGS.volume,
    muted: parseBool(read(SETTING_KEYS.muted)) ?? DEFAULT_SETTINGS.muted,
    minimap: parseBool(read(SETTING_KEYS.minimap)) ?? DEFAULT_SETTINGS.minimap,
  };
}

/** Writes all the settings; a storage that refuses keeps them for this page only. */
export function saveSettings(storage: SettingsStorage | null, s: Settings): void {
  try {
    storage?.setItem(SETTING_KEYS.volume, String(s.volume));
    storage?.setItem(SETTING_KEYS.muted, String(s.muted));
    storage?.setItem(SETTING_KEYS.minimap, String(s.minimap));
  } catch {
    // quota or privacy mode: nothing to do
  }
}

/** The volume `steps` presses up (negative: down), clamped to 0..1. */
export function stepVolume(volume: number, steps: number): number {
  return clampVolume(volume + steps * VOLUME_STEP) ?? DEFAULT_SETTINGS.volume;
}

/** `localStorage`, or null where the page may not use it. */
export function browserSettingsStorage(): SettingsStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The settings of this page: read once, saved whenever one changes, changes announced. */
export class Preferences {
  private current: Settings;
  private readonly listeners: ((s: Readonly<Settings>) => void)[] = [];

  constructor(private readonly storage: SettingsStorage | null) {
    this.current = loadSettings(storage);
  }

  get value(): Readonly<Settings> {
    return this.current;
  }

  /** Changes some settings, saves them all and tells the listeners. */
  set(patch: Partial<Settings>): void {
    this.current = { ...this.current, ...patch };
    saveSettings(this.storage, this.current);
    for (const listener of this.listeners) {
      listener(this.current);
    }
  }

  /** Calls `listener` now and after every change. */
  subscribe(listener: (s: Readonly<Settings>) => void): void {
    this.listeners.push(listener);
    listener(this.current);
  }
}
