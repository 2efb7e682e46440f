/**
 * The player's party on screen: the panel listing each member's name, level and HP wherever
 * they play (another zone, another gateway), and the words for party news in the chat box.
 * Commands are typed in chat: `/invite NAME`, `/accept`, `/leave`, `/p TEXT`.
 */

import './party.css';
import type { PartyMember, PartyNotice } from './protocol';

/** The party as the gateway last said; no members: in none. */
export interface Party {
  leader: string;
  members: PartyMember[];
}

/** The chat box's line for a piece of party news. */
export function partyNoticeText(n: PartyNotice): string {
  switch (n.kind) {
    case 'Invited':
      return `${n.from} invites you to a party: type /accept to join`;
    case 'InviteSent':
      return `Invitation sent to ${n.to}`;
    case 'Joined':
      return `${n.name} joined the party`;
    case 'Left':
      return `${n.name} left the party`;
    case 'NotOnline':
      return `${n.name} is not playing now`;
    case 'AlreadyInParty':
      return `${n.name} is in a party already`;
    case 'PartyFull':
      return 'The party is full';
    case 'NoInvite':
      return 'No invitation to accept (it may have run out)';
    case 'NotInParty':
      return 'You are not in a party: /invite NAME starts one';
    case 'Unavailable':
      return 'Parties are unavailable right now; try again';
  }
}

/** One member's row as the panel shows it. */
export interface MemberRow {
  name: string;
  leader: boolean;
  self: boolean;
  /** `Lv 3` */
  level: string;
  /** HP in [0, 1]. */
  hp: number;
  online: boolean;
}

/** The panel's rows: the player first, then the others in party order. */
export function memberRows(party: Party, self: string | null): MemberRow[] {
  const rows = party.members.map((m) => ({
    name: m.name,
    leader: m.name === party.leader,
    self: self !== null && m.name.toLowerCase() === self.toLowerCase(),
    level: `Lv ${m.level}`,
    hp: m.maxHp > 0 ? Math.min(Math.max(m.hp / m.maxHp, 0), 1) : 0,
    online: m.online,
  }));
  return [...rows.filter((r) => r.self), ...rows.filter((r) => !r.self)];
}

/** The party panel, below the player's own HUD panel; hidden outside a party. */
export class PartyPanel {
  private readonly root: HTMLElement;
  private shown = '';

  /** Appends the panel to `parent` (the HUD's left column). */
  constructor(parent: HTMLElement) {
    this.root = document.createElement('section');
    this.root.id = 'party';
    this.root.className = 'panel';
    this.root.hidden = true;
    this.root.setAttribute('aria-label', 'party');
    parent.append(this.root);
  }

  update(party: Party, self: string | null, visible: boolean): void {
    const rows = memberRows(party, self);
    const key = visible ? JSON.stringify(rows) : '';
    if (key === this.shown) {
      return;
    }
    this.shown = key;
    this.root.hidden = !visible || rows.length === 0;
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = `Party · ${rows.length}`;
    this.root.replaceChildren(title, ...rows.map(rowElement));
  }
}

function rowElement(row: MemberRow): HTMLElement {
  const el = document.createElement('div');
  el.className = `member${row.online ? '' : ' offline'}${row.self ? ' self' : ''}`;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = `${row.leader ? '★ ' : ''}${row.name}`;
  const level = document.createElement('span');
  level.className = 'level';
  level.textContent = row.online ? row.level : `${row.level} · offline`;
  const bar = document.createElement('div');
  bar.className = 'bar';
  const fill = document.createElement('div');
  fill.className = `fill${row.hp <= 0.25 ? ' low' : ''}`;
  fill.style.width = `${(row.hp * 100).toFixed(1)}%`;
  bar.append(fill);
  el.append(name, level, bar);
  return el;
}
