/** Hard size limits, mirroring `shared/protocol/src/limits.rs`. Every decoder enforces them. */

/** Largest snapshot datagram the gateway sends. */
export const MAX_SNAPSHOT_BYTES = 1100;
/** Largest datagram a client may send. */
export const MAX_CLIENT_DATAGRAM = 256;
/** Largest control frame a client may send (login, chat). */
export const MAX_CLIENT_CONTROL = 1024;
/** Largest control frame the server sends. */
export const MAX_SERVER_CONTROL = 64 * 1024;
/** Most inputs carried in one input datagram. */
export const MAX_INPUTS_PER_FRAME = 8;
/** Longest chat line, in characters (Unicode scalar values, as Rust counts `chars()`). */
export const MAX_CHAT_CHARS = 200;
/** Player names: 3 to 16 letters, digits, `_` and `-`. */
export const NAME_MIN_CHARS = 3;
export const NAME_MAX_CHARS = 16;
