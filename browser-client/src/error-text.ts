/** What the player is told for each error code, and for failures that have no code. */

import type { ErrorCode } from './protocol';

const TEXT: Record<ErrorCode, string> = {
  VersionMismatch: 'This page is out of date with the server. Reload the page to update.',
  MalformedMessage: 'The server could not read a message from this client. Reload the page.',
  UnknownMessage: 'The server did not understand this client. Reload the page.',
  FrameTooLarge: 'This client sent a message larger than the server accepts.',
  UnexpectedMessage: 'The client and the server got out of step. Reload the page.',
  InputFlood: 'Disconnected: this client sent far too many inputs.',
  ChatFlood: 'You are chatting too fast: your message was dropped.',
  NameTaken: 'That name is already in use. Pick another one.',
  NameInvalid: 'Names are 3 to 16 characters: letters, digits, _ or -.',
  ChatInvalid: 'That message cannot be sent: it is empty, longer than 200 characters or has control characters.',
  ServerFull: 'The server is full. Try again in a moment.',
  ZoneUnavailable: 'The part of the world you are in is unavailable right now. Try again shortly.',
  ShuttingDown: 'The server is shutting down. Try again in a few minutes.',
  Internal: 'The server hit an internal error. Try again.',
  WrongPassword: 'Wrong password for this character (guest characters have none).',
  PasswordInvalid: 'Passwords are 8 to 128 characters.',
  TokenInvalid: 'Your saved session is not valid any more. Log in again.',
  TokenExpired: 'Your saved session has expired. Log in again.',
  CharacterCorrupt: 'This character’s saved data cannot be read. Contact the operators, or play another name.',
  StoreUnavailable: 'Saved characters are unavailable right now. Try again shortly.',
  Draining: 'This server is restarting: moving you to another one…',
  Timeout: 'The connection to the server timed out. Reload the page.',
};

export function errorText(code: ErrorCode): string {
  return TEXT[code];
}

export const UNREACHABLE_TEXT = 'Cannot reach the game server. Check that it is running and try again.';
export const DISCONNECTED_TEXT = 'Disconnected from the server.';
export const RECONNECTING_TEXT = 'Connection lost: reconnecting…';
export const STILL_PLAYING_TEXT = 'Your character is still in the game through another server. Reload the page to try again.';
export const BAD_SERVER_MESSAGE_TEXT = 'The server sent a message this client cannot read. Reload the page.';
