/**
 * A stand-in gateway for testing the page alone: serves dist/, answers /api/connect (with no
 * working WebTransport), and speaks the protocol over the WebSocket fallback on a tiny flat world
 * (simulated with this client's own physics port, one input per tick, full snapshots: every
 * entity spawned each tick, handles in list order).
 * It checks the browser side (DOM, loop, transport, interpolation); the wire format itself is
 * pinned by the golden vectors, and the real gateway is tested by movement.e2e.ts.
 */

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { Channel, tagChannel } from '../../src/framing';
import { noHint } from '../../src/motion';
import { SUB, bodyAt, step, type Body } from '../../src/physics';
import {
  PROTOCOL_VERSION,
  decodeClientControl,
  decodeClientDatagram,
  encodeServerControl,
  encodeServerDatagram,
  type OwnState,
  type ServerControl,
  type ServerDatagram,
  type Spawn,
} from '../../src/protocol';
import { validChat, validName } from '../../src/session';
import { defaultOwnState, ownUpdate } from '../../src/snapshots';
import { TileGrid, encodeRle } from '../../src/terrain';

const CELL = 32;
const GEOMETRY = { widthCells: 2, heightCells: 1, cellTiles: CELL };
const FLOOR_ROW = 20;

/** A walled room with a floor at row 20 and a one-way platform. */
const ROWS: string[] = Array.from({ length: CELL }, (_, y) =>
  Array.from({ length: 2 * CELL }, (_, x) => {
    if (x === 0 || x === 2 * CELL - 1 || y === 0 || y >= FLOOR_ROW) return '#';
    if (y === 16 && x >= 20 && x < 26) return '=';
    return '.';
  }).join(''),
);
const GRID = new TileGrid(ROWS);

function cellRle(cx: number): Uint8Array {
  const tiles = new Uint8Array(CELL * CELL);
  for (let y = 0; y < CELL; y++) {
    for (let x = 0; x < CELL; x++) {
      tiles[y * CELL + x] = GRID.tile(cx * CELL + x, y);
    }
  }
  return encodeRle(tiles);
}

/** NPCs standing still in every pose: alive, attacking (facing left), hurt, dead. */
const NPCS = [
  [9000, 0, 30, FLOOR_ROW, 20, 0],
  [9001, 1, 34, 17, 30, 1 | 2],
  [9002, 1, 40, 18, 12, 4],
  [9003, 0, 44, FLOOR_ROW, 0, 8],
].map(([id, species, x, y, hp, pose]) => ({
  id,
  kind: { type: 'Npc' as const, species },
  maxHp: 30,
  motion: { body: { pos: { x: x * SUB, y: y * SUB }, vel: { x: 0, y: 0 }, onGround: true }, hint: noHint() },
  hp,
  pose,
}));

interface Player {
  id: number;
  name: string;
  socket: WebSocket;
  body: Body;
  queue: { seq: number; buttons: number }[];
  lastSeq: number;
  ack: number | null;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export interface FakeGateway {
  url: string;
  stop(): Promise<void>;
}

/** What `/api/connect` offers besides the WebSocket (the stand-in serves no WebTransport itself). */
export interface FakeGatewayOptions {
  webtransport?: { url: string; cert_sha256_hex: string } | null;
}

export async function startFakeGateway(distDir: string, options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const players = new Map<WebSocket, Player>();
  let nextId = 1;
  let tick = 1000;

  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/connect') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ protocol_version: 1, webtransport: options.webtransport ?? null, websocket: { path: '/ws' } }));
      return;
    }
    const file = normalize(join(distDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(distDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('content-type', MIME[extname(file)] ?? 'application/octet-stream');
    createReadStream(file).pipe(res);
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  const control = (ws: WebSocket, msg: ServerControl) => ws.send(tagChannel(Channel.Control, encodeServerControl(msg)));
  const datagram = (ws: WebSocket, msg: ServerDatagram) => ws.send(tagChannel(Channel.Datagram, encodeServerDatagram(msg)));

  function accept(ws: WebSocket): void {
    ws.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data);
      const payload = bytes.subarray(1);
      if (bytes[0] === Channel.Control) {
        const msg = decodeClientControl(payload);
        if (msg.type === 'Hello') {
          control(ws, { type: 'Welcome', version: PROTOCOL_VERSION, session: nextId, world: { geometry: GEOMETRY, clock: { epochMs: 0, tickMs: 50 } } });
        } else if (msg.type === 'Login') {
          if (!validName(msg.name)) {
            control(ws, { type: 'Error', code: 'NameInvalid' });
          } else if ([...players.values()].some((p) => p.name === msg.name)) {
            control(ws, { type: 'Error', code: 'NameTaken' });
          } else {
            const id = nextId++;
            const body = bodyAt({ x: (8 + 2 * players.size) * SUB + SUB / 2, y: FLOOR_ROW * SUB });
            players.set(ws, { id, name: msg.name, socket: ws, body, queue: [], lastSeq: 0, ack: null });
            control(ws, { type: 'Joined', entity: id, name: msg.name, zone: 1, tick, token: `fake.${id}` });
            control(ws, { type: 'Terrain', cell: { x: 0, y: 0, depth: 0 }, rle: cellRle(0) });
            control(ws, { type: 'Terrain', cell: { x: 1, y: 0, depth: 0 }, rle: cellRle(1) });
          }
        } else if (msg.type === 'Resume') {
          // The stand-in keeps no characters: every token is unknown here.
          control(ws, { type: 'Error', code: 'TokenInvalid' });
        } else if (msg.type === 'Chat') {
          const from = players.get(ws);
          if (from === undefined || !validChat(msg.text)) {
            control(ws, { type: 'Error', code: 'ChatInvalid' });
          } else {
            for (const p of players.values()) control(p.socket, { type: 'Chat', from: from.name, text: msg.text });
          }
        }
      } else if (bytes[0] === Channel.Datagram) {
        const p = players.get(ws);
        const input = decodeClientDatagram(payload);
        if (p === undefined) return;
        p.ack = input.ack;
        input.buttons.forEach((buttons, i) => {
          const seq = input.seq - (input.buttons.length - 1 - i);
          const newest = p.queue.at(-1)?.seq ?? p.lastSeq;
          if (seq > newest) p.queue.push({ seq, buttons });
        });
      }
    });
    ws.on('close', () => players.delete(ws));
  }

  const timer = setInterval(() => {
    tick++;
    for (const p of players.values()) {
      // One input per tick; catch up if more than a few are waiting.
      while (p.queue.length > 0) {
        const input = p.queue.shift()!;
        p.body = step(p.body, input.buttons, GRID);
        p.lastSeq = input.seq;
        if (p.queue.length <= 2) break;
      }
    }
    for (const p of players.values()) {
      const others = [...players.values()].filter((o) => o !== p);
      const entities = [
        ...others.map((o) => ({
          id: o.id,
          kind: { type: 'Player' as const, name: o.name },
          maxHp: 100,
          motion: { body: o.body, hint: noHint() },
          hp: 100,
          pose: 16,
        })),
        ...NPCS,
      ];
      const you: OwnState = {
        entity: p.id,
        lastInputSeq: p.lastSeq,
        body: p.body,
        hp: 100,
        maxHp: 100,
        xp: 10,
        level: 1,
        pose: p.body.onGround ? 16 : 0,
        cell: { x: p.body.pos.x >= CELL * SUB ? 1 : 0, y: 0, depth: 0 },
        zone: 1,
      };
      datagram(p.socket, {
        type: 'Snapshot',
        tick,
        baseline: null,
        you: ownUpdate(defaultOwnState(), you, noHint()),
        removed: [],
        spawns: entities.map((e, handle): Spawn => ({ handle, ...e })),
        updates: [],
      });
    }
  }, 50);

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      clearInterval(timer);
      for (const ws of wss.clients) ws.terminate();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Also drop sockets that never sent a request (browser preconnects), or close waits a minute.
      http.closeAllConnections();
      await closed;
    },
  };
}
