/**
 * WebTransport (HTTP/3) connection: one bidirectional stream opened by the client carries the
 * control messages, each framed by a u32 LE length; datagrams carry one message each. A
 * gateway's self-signed development certificate is pinned with `serverCertificateHashes`; a
 * gateway with a real certificate gives no hash and the browser checks it as for any site.
 */

import { DecodeError, fromHex } from '../codec';
import { FrameReader, frame } from '../framing';
import { MAX_SERVER_CONTROL } from '../limits';
import { withTimeout, type CloseInfo, type Transport, type TransportHandlers } from './types';

export function webTransportAvailable(): boolean {
  return typeof globalThis.WebTransport === 'function';
}

export async function openWebTransport(
  url: string,
  certSha256Hex: string | null,
  handlers: TransportHandlers,
  timeoutMs: number,
): Promise<Transport> {
  const wt = new WebTransport(url, webTransportOptions(certSha256Hex));
  // Keep a rejected `closed` from surfacing as an unhandled rejection before we watch it.
  wt.closed.catch(() => undefined);
  let stream: WebTransportBidirectionalStream;
  try {
    await withTimeout(wt.ready, timeoutMs, 'WebTransport connection');
    stream = await withTimeout(wt.createBidirectionalStream(), timeoutMs, 'WebTransport control stream');
  } catch (e) {
    try {
      wt.close();
    } catch {
      // already failed
    }
    throw e;
  }

  const control = stream.writable.getWriter();
  const datagrams = datagramWriter(wt);
  let closed = false;
  const finish = (info: CloseInfo): void => {
    if (!closed) {
      closed = true;
      handlers.onClose(info);
    }
  };

  void readControl(stream.readable, handlers);
  void readDatagrams(wt, handlers);
  wt.closed.then(
    (info) => finish({ code: info.closeCode ?? null, reason: info.reason ?? '' }),
    (e: unknown) => finish({ code: closeCodeOf(e), reason: e instanceof Error ? e.message : String(e) }),
  );

  return {
    kind: 'webtransport',
    object: wt,
    url,
    sendControl(bytes) {
      if (!closed) {
        control.write(frame(bytes)).catch(() => undefined);
      }
    },
    sendDatagram(bytes) {
      if (!closed) {
        datagrams.write(bytes).catch(() => undefined);
      }
    },
    close(code, reason = '') {
      if (!closed) {
        wt.close(code === undefined ? { reason } : { closeCode: code, reason });
      }
    },
  };
}

/** Pins the development certificate's hash when there is one; else the browser's usual checks. */
export function webTransportOptions(certSha256Hex: string | null): WebTransportOptions {
  if (certSha256Hex === null) {
    return {};
  }
  return { serverCertificateHashes: [{ algorithm: 'sha-256', value: fromHex(certSha256Hex) }] };
}

function datagramWriter(wt: WebTransport): WritableStreamDefaultWriter<Uint8Array> {
  const dg = wt.datagrams as WebTransportDatagramDuplexStream & {
    createWritable?: () => WritableStream<Uint8Array>;
  };
  const writable = typeof dg.createWritable === 'function' ? dg.createWritable() : dg.writable;
  return writable.getWriter();
}

async function readControl(readable: ReadableStream<Uint8Array>, handlers: TransportHandlers): Promise<void> {
  const frames = new FrameReader(MAX_SERVER_CONTROL);
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      frames.push(value);
      for (let f = frames.nextFrame(); f !== null; f = frames.nextFrame()) {
        handlers.onControl(f);
      }
    }
  } catch (e) {
    if (e instanceof DecodeError) {
      handlers.onMalformed(`control stream: ${e.message}`);
    }
    // Otherwise the stream ended with the session; `closed` reports why.
  }
}

async function readDatagrams(wt: WebTransport, handlers: TransportHandlers): Promise<void> {
  const reader = wt.datagrams.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      handlers.onDatagram(value as Uint8Array);
    }
  } catch {
    // The session ended; `closed` reports why.
  }
}

/** The session close code carried by a WebTransportError, if any. */
function closeCodeOf(e: unknown): number | null {
  const code = (e as { streamErrorCode?: unknown; closeCode?: unknown } | null)?.closeCode;
  return typeof code === 'number' ? code : null;
}
