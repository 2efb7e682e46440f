/** The login screen (name, optional password, Play, error line) and the connecting / error overlay. */

import type { Session } from './session';

export class LoginScreen {
  private readonly root = document.getElementById('login') as HTMLElement;
  private readonly form = document.getElementById('login-form') as HTMLFormElement;
  private readonly name = document.getElementById('login-name') as HTMLInputElement;
  private readonly password = document.getElementById('login-password') as HTMLInputElement | null;
  private readonly error = document.getElementById('login-error') as HTMLElement;
  private readonly status = document.getElementById('status') as HTMLElement;
  private readonly statusText = document.getElementById('status-text') as HTMLElement;
  private readonly reload = document.getElementById('status-reload') as HTMLButtonElement;
  private wasShown = false;

  constructor(
    private readonly session: () => Session | null,
    private readonly autoName: string | null,
  ) {
    if (autoName !== null) {
      this.name.value = autoName;
    }
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const password = this.password?.value ?? '';
      this.session()?.login(this.name.value.trim(), password === '' ? null : password);
    });
    this.reload.addEventListener('click', () => window.location.reload());
  }

  /**
   * Shows what fits the session's phase. While a `Resume` is answered (after a reconnect) the
   * form stays hidden: the page is only waiting, nobody has to type anything.
   */
  update(session: Session | null): void {
    const status = session?.status ?? 'connecting';
    const resuming = status === 'login' && (session?.resuming ?? false);
    const showLogin = status === 'login' && !resuming;
    this.root.hidden = !showLogin;
    if (showLogin && !this.wasShown && this.autoName === null) {
      this.name.focus();
    }
    if (!showLogin && this.wasShown && document.activeElement === this.name) {
      this.name.blur();
    }
    this.wasShown = showLogin;
    const errorText = showLogin ? (session?.error ?? '') : '';
    if (this.error.textContent !== errorText) {
      this.error.textContent = errorText;
    }

    const stalled = status === 'playing' && (session?.stalled ?? false);
    const waiting = status === 'connecting' || resuming || stalled;
    const overlay = waiting || status === 'error' || status === 'closed';
    this.status.hidden = !overlay;
    this.status.classList.toggle('failed', !waiting);
    this.reload.hidden = waiting;
    const text =
      status === 'connecting'
        ? 'Connecting…'
        : resuming
          ? 'Resuming your game…'
          : stalled
            ? 'Your part of the world is being restored…'
            : (session?.error ?? 'Disconnected.');
    if (this.statusText.textContent !== text) {
      this.statusText.textContent = text;
    }
  }
}
