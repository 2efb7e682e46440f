import { describe, expect, it } from 'vitest';
import { memberRows, partyNoticeText } from '../src/party';
import type { PartyNotice } from '../src/protocol';

describe('party', () => {
  const party = {
    leader: 'bob',
    members: [
      { name: 'bob', hp: 50, maxHp: 100, level: 3, online: true },
      { name: 'Ann', hp: 120, maxHp: 100, level: 1, online: true },
      { name: 'cy', hp: 0, maxHp: 0, level: 2, online: false },
    ],
  };

  it('lists the player first, marks the leader and clamps HP', () => {
    const rows = memberRows(party, 'ann');
    expect(rows.map((r) => r.name)).toEqual(['Ann', 'bob', 'cy']);
    expect(rows.map((r) => [r.self, r.leader])).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ]);
    expect(rows.map((r) => r.hp)).toEqual([1, 0.5, 0]);
    expect(rows[2]).toMatchObject({ online: false, level: 'Lv 2' });
  });

  it('keeps the gateway order when the player is not a member', () => {
    expect(memberRows(party, null).map((r) => r.name)).toEqual(['bob', 'Ann', 'cy']);
    expect(memberRows({ leader: '', members: [] }, 'ann')).toEqual([]);
  });

  it('words every notice, naming who it is about', () => {
    const notices: PartyNotice[] = [
      { kind: 'Invited', from: 'bob' },
      { kind: 'InviteSent', to: 'cy' },
      { kind: 'Joined', name: 'cy' },
      { kind: 'Left', name: 'cy' },
      { kind: 'NotOnline', name: 'dee' },
      { kind: 'AlreadyInParty', name: 'eve' },
      { kind: 'PartyFull' },
      { kind: 'NoInvite' },
      { kind: 'NotInParty' },
      { kind: 'Unavailable' },
    ];
    const texts = notices.map(partyNoticeText);
    expect(new Set(texts).size).toBe(notices.length);
    expect(texts[0]).toContain('bob');
    expect(texts[0]).toContain('/accept');
    expect(texts[4]).toContain('dee');
  });
});
