/**
 * The sound effects, synthesized with Web Audio nodes (no audio files): each recipe schedules
 * a few oscillators or a burst of noise with short envelopes at context time `t` into `out`,
 * and the nodes free themselves when they stop. Levels are set so that, at full volume, the
 * loudest effect peaks well below clipping with the music under it.
 */

export const SOUND_NAMES = ['jump', 'swing', 'hit', 'hurt', 'pickup', 'levelUp', 'death', 'respawn'] as const;
export type SoundName = (typeof SOUND_NAMES)[number];

/** Where a recipe plays: the context, the node to feed, the start time. */
interface Voice {
  ctx: BaseAudioContext;
  out: AudioNode;
  t: number;
}

/** Frequency of MIDI note `n` (69 = A4 = 440 Hz). */
export function midiHz(n: number): number {
  return 440 * 2 ** ((n - 69) / 12);
}

/** An envelope: silence, up to `peak` in `attack` s, down to silence at `end` s after `t`. */
function envelope(v: Voice, peak: number, attack: number, end: number): GainNode {
  const g = v.ctx.createGain();
  g.gain.setValueAtTime(0.0001, v.t);
  g.gain.exponentialRampToValueAtTime(peak, v.t + attack);
  g.gain.exponentialRampToValueAtTime(0.0001, v.t + end);
  g.connect(v.out);
  return g;
}

/** An oscillator of `type` gliding from `from` to `to` Hz over `glide` s, into `dest`. */
function tone(v: Voice, type: OscillatorType, from: number, to: number, glide: number, stop: number, dest: AudioNode): void {
  const o = v.ctx.createOscillator();
  o.type = type;
  o.frequency.setValueAtTime(from, v.t);
  if (to !== from) {
    o.frequency.exponentialRampToValueAtTime(to, v.t + glide);
  }
  o.connect(dest);
  o.start(v.t);
  o.stop(v.t + stop);
}

const noiseBuffers = new WeakMap<BaseAudioContext, AudioBuffer>();

/** Half a second of white noise, made once per context (seeded: the same hiss every run). */
function noiseBuffer(ctx: BaseAudioContext): AudioBuffer {
  let buf = noiseBuffers.get(ctx);
  if (buf === undefined) {
    buf = ctx.createBuffer(1, Math.floor(ctx.sampleRate / 2), ctx.sampleRate);
    const data = buf.getChannelData(0);
    let seed = 0x2545f491;
    for (let i = 0; i < data.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      data[i] = ((seed >>> 0) / 0xffffffff) * 2 - 1;
    }
    noiseBuffers.set(ctx, buf);
  }
  return buf;
}

/** Noise through a band-pass whose centre sweeps `from` -> `to` Hz, into `dest`. */
function noise(v: Voice, from: number, to: number, q: number, stop: number, dest: AudioNode): void {
  const src = v.ctx.createBufferSource();
  src.buffer = noiseBuffer(v.ctx);
  const filter = v.ctx.createBiquadFilter();
  filter.type = 'bandpass';
  filter.Q.value = q;
  filter.frequency.setValueAtTime(from, v.t);
  filter.frequency.exponentialRampToValueAtTime(to, v.t + stop);
  src.connect(filter);
  filter.connect(dest);
  src.start(v.t);
  src.stop(v.t + stop);
}

/** Notes (MIDI) one after another, `step` s apart, each ringing `ring` s. */
function arpeggio(v: Voice, type: OscillatorType, notes: readonly number[], step: number, ring: number, peak: number): void {
  notes.forEach((n, i) => {
    const at = { ...v, t: v.t + i * step };
    tone(at, type, midiHz(n), midiHz(n), 0, ring, envelope(at, peak, 0.008, ring));
  });
}

const RECIPES: Record<SoundName, (v: Voice) => void> = {
  /** A short square blip rising an octave: the classic platformer hop. */
  jump: (v) => {
    tone(v, 'square', 260, 560, 0.1, 0.16, lowpass(v, 2400, envelope(v, 0.12, 0.01, 0.15)));
  },
  /** A whoosh: noise swept up through a band-pass. */
  swing: (v) => {
    noise(v, 700, 3200, 1.4, 0.14, envelope(v, 0.8, 0.03, 0.14));
  },
  /** Landing a blow: a bright crack of noise over a falling thump. */
  hit: (v) => {
    noise(v, 2600, 1400, 0.9, 0.07, envelope(v, 0.32, 0.004, 0.07));
    tone(v, 'sine', 190, 55, 0.11, 0.13, envelope(v, 0.3, 0.004, 0.13));
    tone(v, 'square', 1250, 900, 0.03, 0.04, envelope(v, 0.05, 0.002, 0.04));
  },
  /** Taking a blow: a buzzy downward growl, darker than `hit`. */
  hurt: (v) => {
    tone(v, 'sawtooth', 330, 110, 0.2, 0.24, lowpass(v, 1300, envelope(v, 0.22, 0.005, 0.24)));
    noise(v, 900, 300, 1.2, 0.12, envelope(v, 0.35, 0.004, 0.12));
  },
  /** Two bright rising notes. */
  pickup: (v) => {
    arpeggio(v, 'triangle', [83, 88], 0.07, 0.18, 0.16);
    arpeggio(v, 'sine', [95], 0, 0.22, 0.04);
  },
  /** A major arpeggio up to a held chord with a shimmer on top. */
  levelUp: (v) => {
    arpeggio(v, 'triangle', [72, 76, 79, 84], 0.085, 0.3, 0.14);
    const chord = { ...v, t: v.t + 0.34 };
    for (const n of [72, 76, 79, 84]) {
      tone(chord, 'triangle', midiHz(n), midiHz(n), 0, 0.9, envelope(chord, 0.05, 0.02, 0.9));
    }
    arpeggio({ ...v, t: v.t + 0.34 }, 'sine', [96, 100, 103, 108], 0.06, 0.4, 0.025);
  },
  /** A slow falling minor line over a low rumble. */
  death: (v) => {
    arpeggio(v, 'square', [67, 63, 60], 0.2, 0.24, 0.06);
    const last = { ...v, t: v.t + 0.6 };
    tone(last, 'triangle', midiHz(48), midiHz(36), 0.7, 0.9, envelope(last, 0.2, 0.01, 0.9));
    noise(v, 400, 90, 0.8, 0.9, envelope(v, 0.15, 0.05, 0.9));
  },
  /** A soft rising chime. */
  respawn: (v) => {
    arpeggio(v, 'sine', [72, 79, 84], 0.09, 0.35, 0.08);
  },
};

/** A low-pass at `hz` feeding `dest` (the node to connect a source to). */
function lowpass(v: Voice, hz: number, dest: AudioNode): BiquadFilterNode {
  const f = v.ctx.createBiquadFilter();
  f.type = 'lowpass';
  f.frequency.value = hz;
  f.connect(dest);
  return f;
}

/** Schedules sound `name` at context time `t` into `out`. */
export function playSound(ctx: BaseAudioContext, out: AudioNode, name: SoundName, t: number): void {
  RECIPES[name]({ ctx, out, t });
}
