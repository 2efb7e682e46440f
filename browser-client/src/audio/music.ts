/**
 * Quiet background music, made up as it plays: a soft pad on a four-chord loop (Am F C G),
 * a bass note on beats one and three, and a sparse melody in A minor pentatonic with an echo.
 * The melody of each eight-bar phrase comes from a seeded generator (`melodyBar`, pure), so
 * it repeats once (a tune you can recognise) and then changes.
 *
 * Notes are scheduled ahead on the audio clock (a timer tops the schedule up every 250 ms),
 * the usual Web Audio way: a late timer never makes a late note. While the context is
 * suspended (muted) its clock stands still and nothing more is scheduled.
 */

import { midiHz } from './synth';

export const BPM = 84;
const BEAT = 60 / BPM;
const BAR = 4 * BEAT;
/** Eighth notes in a bar: the melody's grid. */
export const SLOTS = 8;
/** Bars per phrase; the phrase's melody plays twice (bars 0-3 again as 4-7). */
const PHRASE_BARS = 8;
/** How far ahead notes are scheduled, and how often the schedule is topped up. */
const LOOKAHEAD_S = 1.2;
const TIMER_MS = 250;

/** The chords (MIDI notes, root first): Am, F, C, G. */
export const PROGRESSION: readonly (readonly number[])[] = [
  [57, 60, 64],
  [53, 57, 60],
  [48, 52, 55],
  [55, 59, 62],
];

/** A minor pentatonic, A4 up to A5 and a bit: the melody's notes. */
export const MELODY_SCALE: readonly number[] = [69, 72, 74, 76, 79, 81, 84];

export interface MelodyNote {
  /** Eighth of the bar it starts on, 0 to SLOTS - 1. */
  slot: number;
  note: number;
  /** Length in eighths. */
  length: number;
}

/** A small seeded generator (mulberry32): the same seed makes the same tune. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The melody of bar `bar` of the song with `seed`. It walks the scale by small steps, rests
 * about half the time, and starts each bar on a note of its chord so it fits the pad.
 */
export function melodyBar(seed: number, bar: number): MelodyNote[] {
  const phrase = Math.floor(bar / PHRASE_BARS);
  const inPhrase = bar % (PHRASE_BARS / 2);
  const random = rng(seed * 7919 + phrase * 104_729 + inPhrase * 13);
  const chord = PROGRESSION[bar % PROGRESSION.length];
  const fits = MELODY_SCALE.map((n, i) => ({ n, i })).filter(({ n }) => chord.some((c) => (n - c) % 12 === 0));
  let index = fits[Math.floor(random() * fits.length)].i;
  const notes: MelodyNote[] = [];
  let slot = 0;
  while (slot < SLOTS) {
    const length = random() < 0.3 ? 2 : 1;
    if (slot === 0 || random() < 0.5) {
      notes.push({ slot, note: MELODY_SCALE[index], length: Math.min(length, SLOTS - slot) });
      const move = Math.floor(random() * 5) - 2; // -2 .. 2 scale steps
      index = Math.min(Math.max(index + move, 0), MELODY_SCALE.length - 1);
    }
    slot += length;
  }
  return notes;
}

export class Music {
  private timer: ReturnType<typeof setInterval> | null = null;
  private bar = 0;
  private nextBarAt = 0;
  private readonly bus: GainNode;
  private readonly echoIn: GainNode;
  private readonly seed = Math.floor(Math.random() * 1_000_000);

  constructor(
    private readonly ctx: AudioContext,
    out: AudioNode,
  ) {
    this.bus = ctx.createGain();
    this.bus.gain.value = 0.4; // under the effects: background, not foreground
    this.bus.connect(out);
    // The melody's echo: a dotted-eighth delay feeding back into itself, darkened.
    this.echoIn = ctx.createGain();
    const delay = ctx.createDelay(2);
    delay.delayTime.value = BEAT * 0.75;
    const feedback = ctx.createGain();
    feedback.gain.value = 0.35;
    const tone = ctx.createBiquadFilter();
    tone.type = 'lowpass';
    tone.frequency.value = 2200;
    this.echoIn.connect(delay);
    delay.connect(tone);
    tone.connect(feedback);
    feedback.connect(delay);
    tone.connect(this.bus);
  }

  start(): void {
    if (this.timer !== null) {
      return;
    }
    this.nextBarAt = this.ctx.currentTime + 0.3;
    this.timer = setInterval(() => this.schedule(), TIMER_MS);
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    const now = this.ctx.currentTime;
    if (this.ctx.state !== 'running') {
      return;
    }
    if (this.nextBarAt < now) {
      this.nextBarAt = now + 0.1; // the page was throttled: skip ahead, no burst of notes
    }
    while (this.nextBarAt < now + LOOKAHEAD_S) {
      this.playBar(this.bar, this.nextBarAt);
      this.bar++;
      this.nextBarAt += BAR;
    }
  }

  private playBar(bar: number, t: number): void {
    const chord = PROGRESSION[bar % PROGRESSION.length];
    for (const n of chord) {
      this.pad(n, t);
    }
    this.bass(chord[0] - 12, t);
    this.bass(chord[0] - 12, t + 2 * BEAT);
    for (const m of melodyBar(this.seed, bar)) {
      this.lead(m.note, t + (m.slot * BEAT) / 2, (m.length * BEAT) / 2);
    }
  }

  /** A soft chord tone lasting the bar: two detuned triangles through a low-pass. */
  private pad(note: number, t: number): void {
    const end = t + BAR + 0.8;
    const g = this.gainEnvelope(0.03, t, 0.7, t + BAR, end);
    const filter = this.ctx.createBiquadFilter();
    filter.type = 'lowpass';
    filter.frequency.value = 900;
    filter.connect(g);
    for (const cents of [-7, 7]) {
      const o = this.ctx.createOscillator();
      o.type = 'triangle';
      o.frequency.value = midiHz(note);
      o.detune.value = cents;
      o.connect(filter);
      o.start(t);
      o.stop(end);
    }
  }

  private bass(note: number, t: number): void {
    const end = t + 2 * BEAT;
    const o = this.ctx.createOscillator();
    o.type = 'triangle';
    o.frequency.value = midiHz(note);
    o.connect(this.gainEnvelope(0.09, t, 0.02, t + 0.1, end));
    o.start(t);
    o.stop(end);
  }

  /** A plucked melody note, also sent to the echo. */
  private lead(note: number, t: number, length: number): void {
    const end = t + length + 0.5;
    const g = this.gainEnvelope(0.045, t, 0.01, t + 0.05, end);
    g.connect(this.echoIn);
    const o = this.ctx.createOscillator();
    o.type = 'sine';
    o.frequency.value = midiHz(note);
    o.connect(g);
    o.start(t);
    o.stop(end);
  }

  /** A gain rising to `peak` over `attack` s from `t`, held until `release`, silent at `end`. */
  private gainEnvelope(peak: number, t: number, attack: number, release: number, end: number): GainNode {
    const g = this.ctx.createGain();
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(peak, t + attack);
    g.gain.setValueAtTime(peak, Math.max(release, t + attack));
    g.gain.exponentialRampToValueAtTime(0.0001, end);
    g.connect(this.bus);
    return g;
  }
}
