import { describe, expect, it } from 'vitest';
import { EventTracker, type FrameState, type GameEvent, type OwnFrame, type SeenEntity } from '../src/events';
import { Pose } from '../src/protocol';
import { PLAYER_ATTACK_COOLDOWN, PLAYER_ATTACK_DAMAGE, PLAYER_RESPAWN_TICKS, respawnSecondsLeft } from '../src/rules';

function own(over: Partial<OwnFrame> = {}): OwnFrame {
  return { id: 1, hp: 100, xp: 0, level: 1, pose: Pose.ON_GROUND, x: 80, y: 160, ...over };
}

function mob(over: Partial<SeenEntity> = {}): SeenEntity {
  return { id: 7, kind: 'npc', hp: 30, pose: Pose.ON_GROUND, x: 200, y: 160, ...over };
}

function frame(over: Partial<FrameState> = {}): FrameState {
  return {
    own: own(),
    body: { onGround: true, velY: 0 },
    others: [],
    inventory: [],
    ground: [],
    inputTick: 0,
    attackHeld: false,
    ...over,
  };
}

/** The events of each frame after the first (the baseline). */
function run(...frames: FrameState[]): GameEvent[][] {
  const tracker = new EventTracker();
  return frames.map((f) => tracker.next(f)).slice(1);
}

describe('game events', () => {
  it('an HP drop of 12 is one damage event of 12 at that entity', () => {
    const [events] = run(frame({ others: [mob({ hp: 30 })] }), frame({ others: [mob({ hp: 18, x: 210 })] }));
    expect(events).toEqual([{ type: 'damage', id: 7, target: 'npc', amount: 12, fatal: false, x: 210, y: 160 }]);
  });

  it('the blow that takes an entity to 0 is fatal; other players are told apart from mobs', () => {
    const [events] = run(
      frame({ others: [mob({ hp: 8 }), mob({ id: 9, kind: 'player', hp: 50 })] }),
      frame({ others: [mob({ hp: 0 }), mob({ id: 9, kind: 'player', hp: 36 })] }),
    );
    expect(events.map((e) => e.type === 'damage' && [e.id, e.target, e.amount, e.fatal])).toEqual([
      [7, 'npc', 8, true],
      [9, 'player', 14, false],
    ]);
  });

  it('an entity that leaves view and comes back with less HP makes no event', () => {
    const frames = run(frame({ others: [mob({ hp: 30 })] }), frame({ others: [] }), frame({ others: [mob({ hp: 6 })] }));
    expect(frames).toEqual([[], []]);
  });

  it("a mob vanishing next to the player as it gains experience took the player's killing blow", () => {
    const [events] = run(
      frame({ own: own({ xp: 0, x: 80 }), others: [mob({ hp: 6, x: 100 })] }),
      frame({ own: own({ xp: 10, x: 80 }), others: [] }),
    );
    expect(events).toContainEqual({ type: 'damage', id: 7, target: 'npc', amount: PLAYER_ATTACK_DAMAGE, fatal: true, x: 100, y: 160 });
  });

  it('a mob vanishing next to another player who swings was killed; elsewhere it left the view', () => {
    const fighter = mob({ id: 9, kind: 'player', x: 400, pose: Pose.ATTACKING });
    const idle = { ...fighter, pose: Pose.ON_GROUND };
    const gone = (others: SeenEntity[], victim: SeenEntity) =>
      run(frame({ others: [victim, ...others] }), frame({ others })).flat().filter((e) => e.type === 'damage');
    expect(gone([fighter], mob({ x: 420 }))).toHaveLength(1);
    expect(gone([idle], mob({ x: 420 })), 'nobody swung').toEqual([]);
    expect(gone([fighter], mob({ x: 900 })), 'far from anyone: it left the view').toEqual([]);
    expect(gone([fighter], mob({ x: 420, hp: 0, pose: Pose.DEAD })), 'already dead').toEqual([]);
    // Next to the player, but it neither swung nor gained experience.
    expect(run(frame({ others: [mob({ x: 90 })] }), frame({ others: [] }))).toEqual([[]]);
  });

  it('HP going up (a mob respawned) is no event', () => {
    expect(run(frame({ others: [mob({ hp: 0 })] }), frame({ others: [mob({ hp: 30 })] }))).toEqual([[]]);
  });

  it('the first frame, and the first after a reset, are baselines', () => {
    const tracker = new EventTracker();
    expect(tracker.next(frame({ own: own({ hp: 40, level: 3 }), others: [mob()] }))).toEqual([]);
    expect(tracker.next(frame({ own: own({ hp: 30, level: 3 }), others: [mob()] }))).toHaveLength(1);
    tracker.reset();
    expect(tracker.next(frame({ own: own({ hp: 10, level: 4 }), others: [mob({ hp: 1 })] }))).toEqual([]);
  });

  it('damage to the player itself, its death and its respawn with full HP (not a heal)', () => {
    const dead = Pose.DEAD | Pose.ON_GROUND;
    const [hit, killed, down, back] = run(
      frame({ own: own({ hp: 20 }) }),
      frame({ own: own({ hp: 10 }) }),
      frame({ own: own({ hp: 0, pose: dead }) }),
      frame({ own: own({ hp: 0, pose: dead }) }),
      frame({ own: own({ hp: 100, x: 500 }) }),
    );
    expect(hit).toEqual([{ type: 'damage', id: 1, target: 'self', amount: 10, fatal: false, x: 80, y: 160 }]);
    expect(killed.map((e) => e.type)).toEqual(['damage', 'death']);
    expect(down).toEqual([]);
    expect(back).toEqual([{ type: 'respawn', x: 500, y: 160 }]);
  });

  it('another player entity (a reconnect as someone else) compares nothing', () => {
    expect(run(frame({ own: own({ id: 1, hp: 100 }) }), frame({ own: own({ id: 2, hp: 10, level: 5 }) }))).toEqual([[]]);
  });

  it('experience and a level-up', () => {
    const [events] = run(frame({ own: own({ xp: 95, level: 1 }) }), frame({ own: own({ xp: 105, level: 2 }) }));
    expect(events).toEqual([
      { type: 'xp', amount: 10, x: 80, y: 160 },
      { type: 'levelUp', level: 2, x: 80, y: 160 },
    ]);
  });

  it('a pickup is an item that lay on the ground joining the inventory', () => {
    const [onGround, picked] = run(
      frame({ inventory: [1, 2], ground: [] }),
      frame({ inventory: [1, 2], ground: [5] }),
      // The new inventory and the new ground list landed in the same frame.
      frame({ inventory: [1, 2, 5], ground: [] }),
    );
    expect(onGround).toEqual([]);
    expect(picked).toEqual([{ type: 'pickup', count: 1, x: 80, y: 160 }]);
  });

  it('the first inventory of a session and a given item are not pickups', () => {
    expect(run(frame({ inventory: [] }), frame({ inventory: [1, 2] }), frame({ inventory: [1, 2, 9] }))).toEqual([[], []]);
  });

  it('a jump is leaving the ground upwards; walking off a ledge is not', () => {
    const [jump, rising] = run(
      frame({ body: { onGround: true, velY: 0 } }),
      frame({ body: { onGround: false, velY: -300 } }),
      frame({ body: { onGround: false, velY: -260 } }),
    );
    expect(jump).toEqual([{ type: 'jump', x: 80, y: 160 }]);
    expect(rising).toEqual([]);
    expect(run(frame(), frame({ body: { onGround: false, velY: 40 } }))).toEqual([[]]);
  });

  it('holding attack swings at once, then once per cooldown; not while dead', () => {
    const tracker = new EventTracker();
    const swings = (f: FrameState): number => tracker.next(f).filter((e) => e.type === 'swing').length;
    expect(swings(frame({ attackHeld: true, inputTick: 10 }))).toBe(1);
    expect(swings(frame({ attackHeld: true, inputTick: 10 + PLAYER_ATTACK_COOLDOWN - 1 }))).toBe(0);
    expect(swings(frame({ attackHeld: true, inputTick: 10 + PLAYER_ATTACK_COOLDOWN }))).toBe(1);
    expect(swings(frame({ attackHeld: false, inputTick: 40 }))).toBe(0);
    expect(swings(frame({ attackHeld: true, inputTick: 41, own: own({ pose: Pose.DEAD }) }))).toBe(0);
    expect(swings(frame({ attackHeld: true, inputTick: 42 }))).toBe(1);
  });
});

describe('the respawn countdown', () => {
  it('counts whole seconds down from the server rule to 0', () => {
    expect(PLAYER_RESPAWN_TICKS).toBe(60);
    expect(respawnSecondsLeft(0, 50)).toBe(3);
    expect(respawnSecondsLeft(1, 50)).toBe(3);
    expect(respawnSecondsLeft(1000, 50)).toBe(2);
    expect(respawnSecondsLeft(2999, 50)).toBe(1);
    expect(respawnSecondsLeft(3000, 50)).toBe(0);
    expect(respawnSecondsLeft(10_000, 50)).toBe(0);
    expect(respawnSecondsLeft(0, 100), 'a slower tick waits longer').toBe(6);
  });
});
