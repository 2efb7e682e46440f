/**
 * Client-side prediction of the player's own body, reconciled with the server.
 *
 * Every client tick the input is recorded under its sequence number and the predicted body is
 * stepped with the shared physics. Each snapshot carries the exact server body after input
 * `last_input_seq`: the predictor restarts from it and replays the inputs sent since, so with
 * the same terrain the prediction equals what the server will compute.
 */

import { bodiesEqual, cloneBody, step, type Body } from './physics';
import type { TileSource } from './terrain';

interface PendingInput {
  seq: number;
  buttons: number;
}

/** Inputs kept while unacknowledged; past this the oldest are forgotten. */
const MAX_PENDING = 256;

export class Predictor {
  private pending: PendingInput[] = [];
  private current: Body | null = null;
  private previous: Body | null = null;
  private lastAck = 0;
  /** How many reconciliations changed the predicted body (debug). */
  corrections = 0;

  constructor(private readonly tiles: TileSource) {}

  /** The predicted body after the newest input, null before the first snapshot. */
  get body(): Body | null {
    return this.current;
  }

  /** The predicted body one input earlier (for drawing between ticks). */
  get previousBody(): Body | null {
    return this.previous;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Records input `seq` and advances the prediction by one tick. */
  push(seq: number, buttons: number): void {
    this.pending.push({ seq, buttons });
    if (this.pending.length > MAX_PENDING) {
      this.pending.shift();
    }
    if (this.current !== null) {
      this.previous = this.current;
      this.current = step(this.current, buttons, this.tiles);
    }
  }

  /**
   * Restarts from the server's body after input `lastInputSeq` and replays the inputs after
   * it. Returns whether the prediction changed. Older acknowledgements than one already
   * applied are ignored (a reordered snapshot).
   */
  reconcile(serverBody: Body, lastInputSeq: number): boolean {
    if (lastInputSeq < this.lastAck && this.current !== null) {
      return false;
    }
    this.lastAck = lastInputSeq;
    this.pending = this.pending.filter((i) => i.seq > lastInputSeq);
    let body = cloneBody(serverBody);
    let before = body;
    for (const input of this.pending) {
      before = body;
      body = step(body, input.buttons, this.tiles);
    }
    const changed = this.current === null || !bodiesEqual(body, this.current);
    if (changed && this.current !== null) {
      this.corrections++;
    }
    this.current = body;
    this.previous = this.pending.length > 0 ? before : (this.previous ?? body);
    return changed;
  }
}
