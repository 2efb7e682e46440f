/**
 * The page's audio: one `AudioContext` feeding a master gain (the volume setting), with the
 * effects (`synth.ts`) and the music (`music.ts`) under it.
 *
 * Browsers start audio only after a user gesture, so the context is made (or resumed) on the
 * first key press or click, not at load. Muting suspends the context: nothing plays, the
 * music's clock stands still and no CPU goes to silent nodes.
 */

import type { Preferences, Settings } from '../settings';
import { Music } from './music';
import { SOUND_NAMES, playSound, type SoundName } from './synth';

/** What the test hook and the HUD show of the audio. */
export interface AudioState {
  muted: boolean;
  volume: number;
  /** The context exists and runs (unlocked by a gesture, not muted). */
  running: boolean;
  /** Sounds started since the page loaded, by name. */
  played: Record<SoundName, number>;
}

/** The same sound again sooner than this is dropped (five mobs hit at once: one crack). */
const REPEAT_MS = 40;

/** Where a sound plays from: `pan` -1 (left) to 1 (right), `gain` 0 to 1 (distance). */
export interface Placement {
  pan?: number;
  gain?: number;
}

/** Gain of the master bus for a volume setting: squared, since loudness is heard roughly so. */
export function volumeGain(volume: number): number {
  return volume * volume;
}

export class Sound {
  private ctx: AudioContext | null = null;
  private master: GainNode | null = null;
  private music: Music | null = null;
  private settings: Readonly<Settings>;
  private readonly lastPlayed = new Map<SoundName, number>();
  readonly played = Object.fromEntries(SOUND_NAMES.map((n) => [n, 0])) as Record<SoundName, number>;

  constructor(prefs: Preferences) {
    this.settings = prefs.value;
    prefs.subscribe((s) => this.apply(s));
  }

  /** Unlocks audio on the page's first gesture (and resumes it on later ones if needed). */
  listen(target: Window): void {
    const unlock = (): void => this.unlock();
    target.addEventListener('keydown', unlock, { capture: true });
    target.addEventListener('pointerdown', unlock, { capture: true });
  }

  get state(): AudioState {
    return {
      muted: this.settings.muted,
      volume: this.settings.volume,
      running: this.ctx?.state === 'running',
      played: { ...this.played },
    };
  }

  /** Plays `name` now, unless audio is locked, muted or the same sound just played. */
  play(name: SoundName, at: Placement = {}): void {
    const ctx = this.ctx;
    if (ctx === null || this.master === null || ctx.state !== 'running' || this.settings.muted) {
      return;
    }
    const now = performance.now();
    if (now - (this.lastPlayed.get(name) ?? -Infinity) < REPEAT_MS) {
      return;
    }
    this.lastPlayed.set(name, now);
    const gain = ctx.createGain();
    gain.gain.value = at.gain ?? 1;
    const panner = ctx.createStereoPanner();
    panner.pan.value = Math.min(Math.max(at.pan ?? 0, -1), 1);
    gain.connect(panner);
    panner.connect(this.master);
    playSound(ctx, gain, name, ctx.currentTime + 0.005);
    this.played[name]++;
  }

  private unlock(): void {
    if (this.ctx === null) {
      try {
        this.ctx = new AudioContext({ latencyHint: 'interactive' });
      } catch (e) {
        console.warn('no Web Audio: the game stays silent', e);
        return;
      }
      this.master = this.ctx.createGain();
      this.master.gain.value = volumeGain(this.settings.volume);
      this.master.connect(this.ctx.destination);
      this.music = new Music(this.ctx, this.master);
      this.music.start();
    }
    this.apply(this.settings);
  }

  private apply(s: Readonly<Settings>): void {
    this.settings = s;
    const ctx = this.ctx;
    if (ctx === null || this.master === null) {
      return;
    }
    // A short glide, so a volume change does not click.
    this.master.gain.setTargetAtTime(volumeGain(s.volume), ctx.currentTime, 0.03);
    // Not guarded by `ctx.state`: a suspend or resume still under way has not changed it yet,
    // and both calls are queued in order and harmless when already so.
    if (s.muted) {
      void ctx.suspend();
    } else {
      void ctx.resume();
    }
  }
}
