/** Builds dist/ before the end-to-end tests so they never run a stale page. */

import { build } from 'vite';
import { CLIENT_DIR } from './harness';

export default async function setup(): Promise<void> {
  await build({ root: CLIENT_DIR, logLevel: 'warn' });
}
