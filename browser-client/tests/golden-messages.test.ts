import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/codec';
import {
  PROTOCOL_VERSION,
  decodeClientControl,
  decodeClientDatagram,
  decodeServerControl,
  decodeServerDatagram,
  encodeClientControl,
  encodeClientDatagram,
  encodeServerControl,
  encodeServerDatagram,
  type ClientControl,
  type ClientDatagram,
  type ServerControl,
  type ServerDatagram,
} from '../src/protocol';
import { readGolden, toSerde, type GoldenMessages, type MessageType } from './golden';

type AnyMessage = ClientControl | ServerControl | ClientDatagram | ServerDatagram;

const codecs: Record<MessageType, { decode(b: Uint8Array): AnyMessage; encode(m: AnyMessage): Uint8Array }> = {
  ClientControl: { decode: decodeClientControl, encode: (m) => encodeClientControl(m as ClientControl) },
  ServerControl: { decode: decodeServerControl, encode: (m) => encodeServerControl(m as ServerControl) },
  ClientDatagram: { decode: decodeClientDatagram, encode: (m) => encodeClientDatagram(m as ClientDatagram) },
  ServerDatagram: { decode: decodeServerDatagram, encode: (m) => encodeServerDatagram(m as ServerDatagram) },
};

const golden = readGolden<GoldenMessages>('messages.json');

describe('golden messages (shared/protocol/golden/messages.json)', () => {
  it('speaks the same protocol version', () => {
    expect(golden.protocol_version).toBe(PROTOCOL_VERSION);
  });

  it('covers every message type', () => {
    const types = new Set(golden.messages.map((m) => m.type));
    expect([...types].sort()).toEqual(['ClientControl', 'ClientDatagram', 'ServerControl', 'ServerDatagram']);
    expect(golden.messages.length).toBeGreaterThanOrEqual(20);
  });

  it.each(golden.messages.map((m, i) => [`${i} ${m.type}::${m.name}`, m] as const))('%s decodes and re-encodes', (_, m) => {
    const codec = codecs[m.type];
    const decoded = codec.decode(fromHex(m.hex));
    expect(decoded.type).toBe(m.name);
    expect(toSerde(decoded)).toEqual(m.value);
    expect(toHex(codec.encode(decoded))).toBe(m.hex);
  });
});
