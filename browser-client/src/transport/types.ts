/** What the game needs from a connection, whichever transport carries it. */

export type TransportKind = 'webtransport' | 'websocket';

export interface CloseInfo {
  /** The close code (4000 + ErrorCode on a coded close), null if the transport gave none. */
  code: number | null;
  reason: string;
}

export interface TransportHandlers {
  /** One whole control message (ServerControl bytes, framing removed). */
  onControl(bytes: Uint8Array): void;
  /** One datagram (ServerDatagram bytes). */
  onDatagram(bytes: Uint8Array): void;
  /** The server broke the transport's framing (an oversized frame, an unknown channel). */
  onMalformed(reason: string): void;
  /** The connection ended; called once. */
  onClose(info: CloseInfo): void;
}

export interface Transport {
  readonly kind: TransportKind;
  /** The underlying WebTransport or WebSocket object. */
  readonly object: WebTransport | WebSocket;
  /** Where it was opened: the WebTransport or WebSocket URL. */
  readonly url: string;
  sendControl(bytes: Uint8Array): void;
  sendDatagram(bytes: Uint8Array): void;
  /** Closes the connection, with `4000 + code` when a code is given. */
  close(code?: number, reason?: string): void;
}

/** Rejects with a timeout error if `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
