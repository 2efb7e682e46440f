import { describe, expect, it } from 'vitest';
import { ANIMS, Animator, chooseAnim, frameAt, hitFlash, recoilOffset, RECOIL_MS, STEP_DOWN_MS, type MotionInput } from '../src/animation';
import { Pose } from '../src/protocol';

const RUN = 128; // px per second: the physics' run speed (0.4 tile a tick at 20 Hz)

function motion(extra: Partial<MotionInput> = {}): MotionInput {
  return { pose: Pose.ON_GROUND, vx: 0, vy: 0, onGround: true, ...extra };
}

describe('choosing the animation', () => {
  it('stands still, runs when moving on the ground', () => {
    expect(chooseAnim(motion())).toBe('idle');
    expect(chooseAnim(motion({ vx: RUN }))).toBe('run');
    expect(chooseAnim(motion({ vx: -RUN }))).toBe('run');
    expect(chooseAnim(motion({ vx: 3 })), 'a drift of a few pixels a second is standing').toBe('idle');
  });

  it('jumps while rising and falls while coming down in the air', () => {
    expect(chooseAnim(motion({ onGround: false, vy: -300 }))).toBe('jump');
    expect(chooseAnim(motion({ onGround: false, vy: 300 }))).toBe('fall');
    expect(chooseAnim(motion({ onGround: false, vy: 300, vx: RUN })), 'running off a ledge falls').toBe('fall');
  });

  it('keeps the air animation through the apex, where the speed is near zero', () => {
    expect(chooseAnim(motion({ onGround: false, vy: 5 }), 'jump')).toBe('jump');
    expect(chooseAnim(motion({ onGround: false, vy: -5 }), 'fall')).toBe('fall');
    expect(chooseAnim(motion({ onGround: false, vy: 5 }), 'run')).toBe('fall');
  });

  it('a short drop (a step down) keeps running; a longer one, or a jump, does not', () => {
    const dropping = motion({ onGround: false, vy: 150, vx: RUN });
    expect(chooseAnim(dropping, 'run', 100)).toBe('run');
    expect(chooseAnim(dropping, 'idle', 100)).toBe('idle');
    expect(chooseAnim(dropping, 'run', STEP_DOWN_MS)).toBe('fall');
    expect(chooseAnim(motion({ onGround: false, vy: -300 }), 'run', 10)).toBe('jump');
  });

  it('dead beats hurt beats attacking beats moving', () => {
    const all = Pose.DEAD | Pose.HURT | Pose.ATTACKING;
    expect(chooseAnim(motion({ pose: all, vx: RUN }))).toBe('death');
    expect(chooseAnim(motion({ pose: Pose.HURT | Pose.ATTACKING, vx: RUN }))).toBe('hurt');
    expect(chooseAnim(motion({ pose: Pose.ATTACKING, onGround: false, vy: -300 }))).toBe('attack');
  });
});

describe('frames', () => {
  it('a run advances a frame every frame length and loops', () => {
    const { frames, frameMs } = ANIMS.run;
    const seen = Array.from({ length: frames + 1 }, (_, i) => frameAt('run', i * frameMs + 1));
    expect(seen).toEqual([...Array.from({ length: frames }, (_, i) => i), 0]);
  });

  it('a death stops on its last frame', () => {
    const last = ANIMS.death.frames - 1;
    expect(frameAt('death', 0)).toBe(0);
    expect(frameAt('death', ANIMS.death.frameMs * last)).toBe(last);
    expect(frameAt('death', 60_000)).toBe(last);
  });
});

describe('the animator', () => {
  it('runs through the run frames as time goes by, from the start of the run', () => {
    const a = new Animator();
    a.update(1, motion(), 0);
    const frames = [];
    for (let t = 1000; t < 1000 + ANIMS.run.frameMs * ANIMS.run.frames; t += ANIMS.run.frameMs) {
      const s = a.update(1, motion({ vx: RUN }), t);
      expect(s.anim).toBe('run');
      frames.push(s.frame);
    }
    expect(frames, 'each frame of the run in turn, starting at 0 when the run began').toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('runs on through steps down without starting the run over; falls off a high ledge', () => {
    const a = new Animator();
    const { frameMs } = ANIMS.run;
    a.update(1, motion({ vx: RUN }), 0);
    expect(a.update(1, motion({ vx: RUN, onGround: false, vy: 100 }), frameMs * 2 + 1)).toMatchObject({ anim: 'run', frame: 2 });
    expect(a.update(1, motion({ vx: RUN }), frameMs * 3 + 1)).toMatchObject({ anim: 'run', frame: 3 });
    a.update(1, motion({ vx: RUN, onGround: false, vy: 100 }), 1000);
    expect(a.update(1, motion({ vx: RUN, onGround: false, vy: 250 }), 1000 + STEP_DOWN_MS).anim).toBe('fall');
  });

  it('plays a death once and holds its last frame; one seen dead already shows the end', () => {
    const a = new Animator();
    a.update(1, motion(), 0);
    const dead = motion({ pose: Pose.DEAD | Pose.ON_GROUND });
    expect(a.update(1, dead, 100).frame).toBe(0);
    const last = ANIMS.death.frames - 1;
    expect(a.update(1, dead, 100 + ANIMS.death.frameMs * 20).frame).toBe(last);
    expect(a.update(2, dead, 5000), 'already dead when first drawn').toMatchObject({ anim: 'death', frame: last });
  });

  it('faces the way the pose says', () => {
    const a = new Animator();
    expect(a.update(1, motion({ vx: RUN }), 0).facingLeft).toBe(false);
    expect(a.update(1, motion({ pose: Pose.ON_GROUND | Pose.FACING_LEFT, vx: -RUN }), 16).facingLeft).toBe(true);
  });

  it('flashes white then red when hit and recoils away from where it faces, back to rest', () => {
    const a = new Animator();
    a.update(1, motion(), 0);
    const hurt = motion({ pose: Pose.HURT | Pose.ON_GROUND });
    const hit = a.update(1, hurt, 100);
    expect(hit.flash).toBe('white');
    expect(hit.offsetX, 'facing right: pushed left').toBeLessThan(0);
    expect(a.update(1, hurt, 180).flash).toBe('red');
    expect(a.update(1, motion(), 100 + RECOIL_MS)).toMatchObject({ flash: null, offsetX: 0 });
    const left = new Animator();
    expect(left.update(1, motion({ pose: Pose.HURT | Pose.FACING_LEFT }), 0).offsetX, 'facing left: pushed right').toBeGreaterThan(0);
  });

  it('forgets figures it has not drawn for a while', () => {
    const a = new Animator();
    a.update(1, motion(), 0);
    a.update(2, motion(), 0);
    for (let t = 0; t <= 8000; t += 1000) {
      a.update(2, motion(), t);
    }
    expect(a.size).toBe(1);
  });
});

describe('hit flash and recoil', () => {
  it('no flash when not hurt; the recoil shrinks to nothing', () => {
    expect(hitFlash(false, 0)).toBeNull();
    expect(Math.abs(recoilOffset(0, false))).toBeGreaterThan(Math.abs(recoilOffset(RECOIL_MS / 2, false)));
    expect(recoilOffset(RECOIL_MS, false)).toBe(0);
    expect(recoilOffset(null, true)).toBe(0);
  });
});
