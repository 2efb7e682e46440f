/**
 * WebSocket fallback: binary messages whose first byte is the channel (0 = control,
 * 1 = datagram) and the rest one message, no length prefix.
 */

import { Channel, tagChannel } from '../framing';
import { withTimeout, type Transport, type TransportHandlers } from './types';

export async function openWebSocket(url: string, handlers: TransportHandlers, timeoutMs: number): Promise<Transport> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`WebSocket ${url} failed`)), { once: true });
    ws.addEventListener('close', (e) => reject(new Error(`WebSocket ${url} closed (${e.code})`)), { once: true });
  });
  try {
    await withTimeout(opened, timeoutMs, 'WebSocket connection');
  } catch (e) {
    ws.close();
    throw e;
  }

  ws.addEventListener('message', (e: MessageEvent) => {
    if (!(e.data instanceof ArrayBuffer) || e.data.byteLength === 0) {
      handlers.onMalformed('WebSocket message that is not binary or is empty');
      return;
    }
    const bytes = new Uint8Array(e.data);
    const payload = bytes.subarray(1);
    switch (bytes[0]) {
      case Channel.Control:
        handlers.onControl(payload);
        break;
      case Channel.Datagram:
        handlers.onDatagram(payload);
        break;
      default:
        handlers.onMalformed(`WebSocket message on unknown channel ${bytes[0]}`);
    }
  });
  ws.addEventListener('close', (e: CloseEvent) => handlers.onClose({ code: e.code, reason: e.reason }), { once: true });

  const send = (channel: Channel, bytes: Uint8Array): void => {
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(tagChannel(channel, bytes));
    }
  };
  return {
    kind: 'websocket',
    object: ws,
    url,
    sendControl: (bytes) => send(Channel.Control, bytes),
    sendDatagram: (bytes) => send(Channel.Datagram, bytes),
    close(code, reason = '') {
      ws.close(code ?? 1000, reason);
    },
  };
}
