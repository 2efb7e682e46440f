/**
 * Entry point: reads the URL (`?name=` logs in at once, `?transport=websocket|webtransport`
 * forces a transport), starts the game and exposes `window.__mmo`.
 */

import './style.css';
import { Game } from './game';
import { installTestHook } from './test-hook';
import { parsePreference } from './transport/connect';

const params = new URLSearchParams(window.location.search);
const canvas = document.getElementById('world') as HTMLCanvasElement;
const game = new Game(canvas, {
  autoName: params.get('name'),
  transport: parsePreference(params.get('transport')),
});
installTestHook(game);
game.start().catch((e: unknown) => console.error('the game failed to start:', e));
