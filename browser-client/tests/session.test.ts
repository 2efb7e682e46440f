import { describe, expect, it } from 'vitest';
import { STILL_PLAYING_TEXT, UNREACHABLE_TEXT, errorText } from '../src/error-text';
import { Buttons } from '../src/physics';
import {
  PROTOCOL_VERSION,
  encodeServerControl,
  encodeServerDatagram,
  errorCodeValue,
  type ClientControl,
  type ClientDatagram,
  type ErrorCode,
  type ServerControl,
} from '../src/protocol';
import { Session, memoryTokenStore, validChat, validName, type TokenStore } from '../src/session';
import { encodeRle } from '../src/terrain';
import { body, deltaSnapshot, fullSnapshot, ownState, spawnPlayer, unchanged, update } from './fixtures';

const welcome: ServerControl = {
  type: 'Welcome',
  version: PROTOCOL_VERSION,
  session: 9,
  world: { geometry: { widthCells: 4, heightCells: 2, cellTiles: 16 }, clock: { epochMs: 0, tickMs: 50 } },
};

function harness(autoName: string | null = null, tokens: TokenStore = memoryTokenStore()) {
  const control: ClientControl[] = [];
  const datagrams: ClientDatagram[] = [];
  const closed: (ErrorCode | null)[] = [];
  const session = new Session(
    { control: (m) => control.push(m), datagram: (m) => datagrams.push(m), close: (c) => closed.push(c) },
    autoName,
    tokens,
  );
  const serve = (m: ServerControl) => session.handleControlBytes(encodeServerControl(m));
  return { session, control, datagrams, closed, serve };
}

function playing() {
  const h = harness('ada');
  h.session.start();
  h.serve(welcome);
  h.serve({ type: 'Joined', entity: 1, name: 'ada', zone: 3, tick: 100, token: 'tok-1' });
  return h;
}

describe('inventory', () => {
  it('keeps the inventory the server sends', () => {
    const h = playing();
    expect(h.session.inventory).toEqual([]);
    h.serve({ type: 'Inventory', items: [{ serial: 7, kind: 1 }, { serial: 9, kind: 11 }] });
    expect(h.session.inventory).toEqual([{ serial: 7, kind: 1 }, { serial: 9, kind: 11 }]);
  });
});

describe('ground items', () => {
  it('keeps the items in view the server sends, and forgets them on a new join', () => {
    const h = playing();
    expect(h.session.ground).toEqual([]);
    const gem = { serial: 42, kind: 10, pos: { x: 300 * 256, y: 70 * 256 } };
    h.serve({ type: 'Ground', items: [gem] });
    expect(h.session.ground).toEqual([gem]);
    h.serve({ type: 'Ground', items: [] });
    expect(h.session.ground).toEqual([]);
    h.serve({ type: 'Ground', items: [gem] });
    h.serve({ type: 'Joined', entity: 1, name: 'ada', zone: 3, tick: 200, token: 'tok-2' });
    expect(h.session.ground, 'a new session sends its own').toEqual([]);
  });
});

describe('session tokens', () => {
  it('keeps the token of Joined and resumes with it on the next connection', () => {
    const tokens = memoryTokenStore();
    const first = harness(null, tokens);
    first.session.start();
    first.serve(welcome);
    expect(first.session.login('ada', 'correct horse')).toBe(true);
    expect(first.control.at(-1)).toEqual({ type: 'Login', name: 'ada', password: 'correct horse' });
    first.serve({ type: 'Joined', entity: 1, name: 'ada', zone: 3, tick: 100, token: 'tok-ada' });
    expect(tokens.get()).toBe('tok-ada');

    const second = harness(null, tokens);
    second.session.start();
    second.serve(welcome);
    expect(second.control.at(-1)).toEqual({ type: 'Resume', token: 'tok-ada' });
    second.serve({ type: 'Joined', entity: 5, name: 'ada', zone: 1, tick: 300, token: 'tok-2' });
    expect(second.session.status).toBe('playing');
    expect(tokens.get()).toBe('tok-2');
  });

  it('forgets an expired token and lets the player log in', () => {
    const tokens = memoryTokenStore();
    tokens.set('old');
    const h = harness(null, tokens);
    h.session.start();
    h.serve(welcome);
    expect(h.control.at(-1)).toEqual({ type: 'Resume', token: 'old' });
    h.serve({ type: 'Error', code: 'TokenExpired' });
    expect(h.session.status).toBe('login');
    expect(h.session.error).toBe(errorText('TokenExpired'));
    expect(tokens.get()).toBeNull();
    expect(h.closed).toEqual([]);
  });

  it('refuses a short password locally and keeps the login open after WrongPassword', () => {
    const h = harness();
    h.session.start();
    h.serve(welcome);
    expect(h.session.login('ada', 'short')).toBe(false);
    expect(h.session.error).toBe(errorText('PasswordInvalid'));
    expect(h.session.login('ada', 'long enough')).toBe(true);
    h.serve({ type: 'Error', code: 'WrongPassword' });
    expect(h.session.status).toBe('login');
    expect(h.session.error).toBe(errorText('WrongPassword'));
  });
});

describe('a resume refused for a reason that passes', () => {
  function resuming() {
    const tokens = memoryTokenStore();
    tokens.set('tok-ada');
    const h = harness('ada', tokens);
    h.session.start();
    h.serve(welcome);
    expect(h.control.at(-1)).toEqual({ type: 'Resume', token: 'tok-ada' });
    return { ...h, tokens };
  }

  it.each(['NameTaken', 'StoreUnavailable', 'ZoneUnavailable', 'ServerFull', 'ShuttingDown', 'Internal'] as ErrorCode[])(
    '%s: closes to try again, keeps the token, shows no login error',
    (code) => {
      const h = resuming();
      h.serve({ type: 'Error', code });
      expect(h.session.status).toBe('closed');
      expect(h.session.resumeRefused).toBe(code);
      expect(h.session.resuming).toBe(false);
      expect(h.tokens.get()).toBe('tok-ada');
      expect(h.closed, 'the client closes, with no error code').toEqual([null]);
      expect(h.control.filter((c) => c.type === 'Login'), 'no login with the automatic name').toEqual([]);
      // The gateway's coded close that follows a fatal refusal changes nothing.
      h.session.handleClose(4000 + 12);
      expect(h.session.status).toBe('closed');
    },
  );

  it('a coded close without an Error message first is retried too', () => {
    const h = resuming();
    h.session.handleClose(4000 + 12); // ZoneUnavailable
    expect([h.session.status, h.session.resumeRefused]).toEqual(['closed', 'ZoneUnavailable']);
    expect(h.tokens.get()).toBe('tok-ada');
  });

  it('a refused token and a corrupt character stay final', () => {
    const expired = resuming();
    expired.serve({ type: 'Error', code: 'TokenInvalid' });
    expect(expired.session.resumeRefused).toBeNull();
    expect(expired.tokens.get()).toBeNull();
    expect(expired.control.at(-1), 'the automatic name logs in instead').toEqual({ type: 'Login', name: 'ada', password: null });

    const corrupt = resuming();
    corrupt.serve({ type: 'Error', code: 'CharacterCorrupt' });
    expect(corrupt.session.resumeRefused).toBeNull();
    expect([corrupt.session.status, corrupt.session.error]).toEqual(['login', errorText('CharacterCorrupt')]);
    expect(corrupt.tokens.get()).toBeNull();
  });

  it('NameTaken at a login by hand stays a login error (only a resume waits)', () => {
    const h = harness();
    h.session.start();
    h.serve(welcome);
    h.session.login('ada');
    h.serve({ type: 'Error', code: 'NameTaken' });
    expect([h.session.status, h.session.resumeRefused]).toEqual(['login', null]);
  });

  it('giving up shows why, with the token kept', () => {
    const h = resuming();
    h.serve({ type: 'Error', code: 'NameTaken' });
    h.session.giveUp();
    expect([h.session.status, h.session.error]).toEqual(['error', STILL_PLAYING_TEXT]);
    expect(h.tokens.get()).toBe('tok-ada');
    const other = harness();
    other.session.giveUp('ZoneUnavailable');
    expect(other.session.error).toBe(errorText('ZoneUnavailable'));
    const unreachable = harness();
    unreachable.session.giveUp();
    expect(unreachable.session.error).toBe(UNREACHABLE_TEXT);
  });
});

describe('a draining gateway', () => {
  it('asks a playing session to move: it closes without an error, keeps the token and resumes on the next connection', () => {
    const tokens = memoryTokenStore();
    const first = harness('ada', tokens);
    first.session.start();
    first.serve(welcome);
    first.serve({ type: 'Joined', entity: 1, name: 'ada', zone: 3, tick: 100, token: 'tok-ada' });
    first.serve({ type: 'Reconnect' });
    expect(first.session.moving).toBe(true);
    expect(first.session.status).toBe('closed');
    expect(first.closed, 'the client closes, with no error code').toEqual([null]);
    first.session.handleClose(null);
    expect(first.session.status).toBe('closed');
    expect(tokens.get()).toBe('tok-ada');

    const second = harness('ada', tokens);
    second.session.start();
    second.serve(welcome);
    expect(second.control.at(-1), 'resumes, no login').toEqual({ type: 'Resume', token: 'tok-ada' });
    second.serve({ type: 'Joined', entity: 9, name: 'ada', zone: 2, tick: 400, token: 'tok-2' });
    expect(second.session.status).toBe('playing');
  });

  it('treats a Draining refusal, as a message or as the close code, as a move and not an error', () => {
    const refused = harness();
    refused.session.start();
    refused.serve(welcome);
    refused.serve({ type: 'Error', code: 'Draining' });
    expect([refused.session.moving, refused.session.status]).toEqual([true, 'closed']);

    const closed = harness();
    closed.session.start();
    closed.session.handleClose(4000 + 21);
    expect([closed.session.moving, closed.session.status]).toEqual([true, 'closed']);
    expect(closed.session.error).toBe(errorText('Draining'));
  });

  it('opens a new connection, without an error, when the gateway ends one idle at the login form', () => {
    const told = harness();
    told.session.start();
    told.serve(welcome);
    told.serve({ type: 'Error', code: 'Timeout' });
    expect([told.session.moving, told.session.status, told.session.error]).toEqual([true, 'closed', null]);

    const closed = harness();
    closed.session.start();
    closed.serve(welcome);
    closed.session.handleClose(4000 + errorCodeValue('Timeout'));
    expect([closed.session.moving, closed.session.status, closed.session.error]).toEqual([true, 'closed', null]);

    // A Timeout anywhere else is an error.
    const connecting = harness();
    connecting.session.start();
    connecting.session.handleClose(4000 + errorCodeValue('Timeout'));
    expect([connecting.session.moving, connecting.session.status]).toEqual([false, 'error']);
  });
});

describe('session phases', () => {
  it('says hello, then logs in when asked', () => {
    const h = harness();
    h.session.start();
    expect(h.control).toEqual([{ type: 'Hello', version: PROTOCOL_VERSION }]);
    expect(h.session.status).toBe('connecting');
    h.serve(welcome);
    expect(h.session.status).toBe('login');
    expect(h.session.login('ada')).toBe(true);
    expect(h.control.at(-1)).toEqual({ type: 'Login', name: 'ada', password: null });
    h.serve({ type: 'Joined', entity: 1, name: 'ada', zone: 3, tick: 100, token: 'tok-1' });
    expect(h.session.status).toBe('playing');
    expect([h.session.selfId, h.session.zone]).toEqual([1, 3]);
  });

  it('logs in at once with an automatic name', () => {
    const h = harness('bob');
    h.session.start();
    h.serve(welcome);
    expect(h.control.at(-1)).toEqual({ type: 'Login', name: 'bob', password: null });
  });

  it('keeps the login open after NameTaken and refuses invalid names locally', () => {
    const h = harness();
    h.session.start();
    h.serve(welcome);
    expect(h.session.login('a b')).toBe(false);
    expect(h.session.error).toBe(errorText('NameInvalid'));
    expect(h.control).toHaveLength(1);
    h.session.login('ada');
    h.serve({ type: 'Error', code: 'NameTaken' });
    expect(h.session.status).toBe('login');
    expect(h.session.error).toBe(errorText('NameTaken'));
    h.session.login('ada2');
    expect(h.session.error).toBeNull();
  });

  it('shows a fatal error and a coded close', () => {
    const h = harness();
    h.session.start();
    h.serve({ type: 'Error', code: 'VersionMismatch' });
    expect(h.session.status).toBe('error');
    expect(h.session.error).toBe(errorText('VersionMismatch'));
    h.session.handleClose(4001);
    expect(h.session.error).toBe(errorText('VersionMismatch'));

    const g = playing();
    g.session.handleClose(4000 + 11);
    expect(g.session.status).toBe('error');
    expect(g.session.error).toBe(errorText('ServerFull'));
  });

  it('tells apart an unreachable server from a plain disconnect', () => {
    const h = harness();
    h.session.handleClose(null);
    expect(h.session.status).toBe('error');
    expect(h.session.error).toMatch(/Cannot reach the game server/);
    const g = playing();
    g.session.handleClose(1006);
    expect(g.session.status).toBe('closed');
  });

  it('closes with MalformedMessage when the server sends garbage', () => {
    const h = playing();
    h.session.handleControlBytes(new Uint8Array([9, 9]));
    expect(h.session.status).toBe('error');
    expect(h.closed).toEqual(['MalformedMessage']);

    const g = playing();
    g.session.handleMalformed('frame of 70000 bytes exceeds the limit of 65536');
    expect([g.session.status, g.closed]).toEqual(['error', ['MalformedMessage']]);
  });
});

describe('playing', () => {
  it('sends numbered inputs with the last four buttons and the newest snapshot tick', () => {
    const h = playing();
    const seq = [Buttons.RIGHT, Buttons.RIGHT, Buttons.JUMP, 0, Buttons.LEFT];
    seq.forEach((b, i) => h.session.inputTick(b, i * 50));
    expect(h.datagrams[0]).toEqual({ type: 'Input', seq: 1, ack: null, buttons: [Buttons.RIGHT] });
    expect(h.datagrams[4]).toEqual({ type: 'Input', seq: 5, ack: null, buttons: [Buttons.RIGHT, Buttons.JUMP, 0, Buttons.LEFT] });
    h.session.handleDatagramBytes(encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(200, [], ownState({ lastInputSeq: 3 })) }), 300);
    h.session.inputTick(0, 310);
    expect(h.datagrams.at(-1)).toMatchObject({ seq: 6, ack: 200 });
  });

  it('measures the input round trip', () => {
    const h = playing();
    h.session.inputTick(0, 1000);
    h.session.inputTick(0, 1050);
    h.session.handleSnapshot(fullSnapshot(200, [], ownState({ lastInputSeq: 2 })), 50, 1130);
    expect(h.session.ping).toBe(80);
  });

  it('reconciles its own body and exposes zone, cell and tick from the snapshot', () => {
    const h = playing();
    const you = ownState({ lastInputSeq: 0, zone: 7, cell: { x: 1, y: 0, depth: 0 } });
    h.session.handleSnapshot(fullSnapshot(200, [spawnPlayer(0, 2, 'bob', body(10, 20))], you), 80, 0);
    expect(h.session.predictor!.body).toEqual(you.body);
    expect([h.session.zone, h.session.cell, h.session.tick]).toEqual([7, { x: 1, y: 0, depth: 0 }, 200]);
    expect(h.session.lastSnapshotBytes).toBe(80);
    expect(h.session.others.sample(200).map((e) => e.id)).toEqual([2]);
  });

  it('takes its own state from the rebuilt view, not from the delta', () => {
    const h = playing();
    const you = ownState({ lastInputSeq: 4, zone: 7, cell: { x: 1, y: 0, depth: 0 } });
    h.session.handleSnapshot(fullSnapshot(200, [], you), 80, 0);
    h.session.handleSnapshot(deltaSnapshot(201, 200, { you: { ...unchanged(), inputAdvance: 1, hp: 60 } }), 20, 50);
    expect(h.session.own).toEqual({ ...you, lastInputSeq: 5, hp: 60 });
    expect([h.session.zone, h.session.cell, h.session.tick]).toEqual([7, { x: 1, y: 0, depth: 0 }, 201]);
  });

  it('drops a snapshot whose baseline is gone and keeps acknowledging its newest view', () => {
    const h = playing();
    h.session.handleDatagramBytes(encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(200, []) }), 0);
    h.session.handleDatagramBytes(encodeServerDatagram({ type: 'Snapshot', ...deltaSnapshot(205, 203) }), 50);
    expect([h.session.status, h.session.snapshotsDropped, h.session.tick]).toEqual(['playing', 1, 200]);
    h.session.inputTick(0, 60);
    expect(h.datagrams.at(-1)).toMatchObject({ ack: 200 });
  });

  it('closes with MalformedMessage when a snapshot does not fit its baseline', () => {
    const h = playing();
    h.session.handleDatagramBytes(encodeServerDatagram({ type: 'Snapshot', ...fullSnapshot(200, []) }), 0);
    const stray = deltaSnapshot(201, 200, { updates: [update(5, { hp: 1 })] });
    h.session.handleDatagramBytes(encodeServerDatagram({ type: 'Snapshot', ...stray }), 50);
    expect([h.session.status, h.closed, h.session.tick]).toEqual(['error', ['MalformedMessage'], 200]);
  });

  it('loads terrain cells and ignores broken ones', () => {
    const h = playing();
    const tiles = new Uint8Array(16 * 16).fill(0);
    h.serve({ type: 'Terrain', cell: { x: 1, y: 0, depth: 0 }, rle: encodeRle(tiles) });
    h.serve({ type: 'Terrain', cell: { x: 2, y: 0, depth: 0 }, rle: new Uint8Array([0, 3]) });
    expect(h.session.terrain!.contains(1, 0)).toBe(true);
    expect(h.session.terrain!.contains(2, 0)).toBe(false);
    expect(h.session.terrain!.tile(20, 5)).toBe(0);
    expect(h.session.status).toBe('playing');
  });

  it('lists chat lines, validates outgoing chat and reports chat errors without closing', () => {
    const h = playing();
    h.serve({ type: 'Chat', from: 'bob', text: 'hi' });
    expect(h.session.sendChat('hello')).toBe(true);
    expect(h.control.at(-1)).toEqual({ type: 'Chat', text: 'hello' });
    expect(h.session.sendChat('   ')).toBe(false);
    h.serve({ type: 'Error', code: 'ChatFlood' });
    expect(h.session.status).toBe('playing');
    expect(h.session.chat.map((l) => [l.from, l.system])).toEqual([
      ['bob', false],
      ['', true],
      ['', true],
    ]);
  });
});

describe('validation mirrors the server', () => {
  it('names', () => {
    expect(validName('ada')).toBe(true);
    expect(validName('Player_01-x')).toBe(true);
    expect(validName('ab')).toBe(false);
    expect(validName('a name')).toBe(false);
    expect(validName('seventeen_chars_x')).toBe(false);
    expect(validName('émile')).toBe(false);
  });

  it('chat', () => {
    expect(validChat('hello there')).toBe(true);
    expect(validChat('   ')).toBe(false);
    expect(validChat('bell\u0007')).toBe(false);
    expect(validChat('x'.repeat(200))).toBe(true);
    expect(validChat('x'.repeat(201))).toBe(false);
    expect(validChat('✓'.repeat(200))).toBe(true);
  });
});
