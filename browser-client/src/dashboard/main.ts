/**
 * The operators' dashboard: polls the coordinator's `/api/state` and `/api/events` twice a
 * second and shows the cell grid coloured by owning zone (entity heat as a glow, migrations
 * outlined, owner changes flashed; split cells drawn as their quarters, splits and merges
 * flashed), per-zone load bars with a drain button, the leader, the gateways and the decision
 * log; a cell picked in the grid can be moved to a chosen zone, split, or merged back.
 */

import './dashboard.css';
import { ApiError, drainZone, getEvents, getState, mergeCell, moveCell, splitCell } from './api';
import {
  MAX_DEPTH,
  cellArea,
  cellsInOrder,
  clockTime,
  describeEvent,
  gridCellOf,
  heat,
  loadPercent,
  ownerChanges,
  reshapedCells,
  zoneColour,
  type WorldState,
} from './model';

const POLL_MS = 500;
const EVENTS_SHOWN = 100;

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) {
    throw new Error(`#${id} missing`);
  }
  return el as T;
};

const grid = byId<HTMLDivElement>('grid');
const zonesList = byId<HTMLUListElement>('zones');
const eventsList = byId<HTMLOListElement>('events');
const leader = byId<HTMLSpanElement>('leader');
const rebalance = byId<HTMLSpanElement>('rebalance');
const gateways = byId<HTMLSpanElement>('gateways');
const pollStatus = byId<HTMLSpanElement>('poll-status');
const pickedCell = byId<HTMLElement>('picked-cell');
const targetZone = byId<HTMLSelectElement>('target-zone');
const moveButton = byId<HTMLButtonElement>('move');
const splitButton = byId<HTMLButtonElement>('split');
const mergeButton = byId<HTMLButtonElement>('merge');
const actionResult = byId<HTMLSpanElement>('action-result');

let last: WorldState | null = null;
let picked: string | null = null;

function renderGrid(state: WorldState): void {
  const busiest = Math.max(0, ...state.cells.map((c) => c.entities));
  const migrating = new Set(state.migrations.map((m) => m.cell));
  const changed = ownerChanges(last, state);
  const reshaped = reshapedCells(last, state);
  // A grid of the smallest quarters: a cell of the grid spans 2^MAX_DEPTH of them each way.
  const fine = 1 << MAX_DEPTH;
  grid.style.gridTemplateColumns = `repeat(${state.world.width * fine}, minmax(0.6em, 1.5em))`;
  const wanted = state.cells.length;
  if (grid.children.length !== wanted) {
    grid.replaceChildren();
  }
  let i = 0;
  {
    for (const cell of cellsInOrder(state)) {
      let el = grid.children[i] as HTMLButtonElement | undefined;
      if (el === undefined) {
        el = document.createElement('button');
        el.type = 'button';
        el.className = 'cell';
        el.innerHTML = '<span class="heat"></span><span class="label"></span>';
        el.addEventListener('click', () => pick(el?.dataset.cell ?? null));
        grid.appendChild(el);
      }
      const area = cellArea(cell);
      el.style.gridColumn = `${area.column} / span ${area.span}`;
      el.style.gridRow = `${area.row} / span ${area.span}`;
      el.dataset.depth = String(cell.depth);
      el.dataset.cell = cell.cell;
      el.dataset.zone = cell.zone === null ? '' : String(cell.zone);
      el.style.backgroundColor = zoneColour(cell.zone);
      el.title = `cell ${cell.cell}: zone ${cell.zone ?? '-'}, epoch ${cell.epoch ?? '-'}, ${cell.entities} entities`;
      (el.querySelector('.heat') as HTMLElement).style.opacity = String(heat(cell.entities, busiest));
      (el.querySelector('.label') as HTMLElement).textContent = `${cell.cell}\nz${cell.zone ?? '-'}\n${cell.entities}`;
      el.classList.toggle('migrating', migrating.has(cell.cell));
      el.classList.toggle('picked', picked === cell.cell);
      if (changed.has(cell.cell)) {
        el.classList.remove('moved');
        void el.offsetWidth; // restart the flash
        el.classList.add('moved');
      }
      if (reshaped.has(gridCellOf(cell))) {
        el.classList.remove('reshaped');
        void el.offsetWidth;
        el.classList.add('reshaped');
      }
      i += 1;
    }
  }
}

function renderZones(state: WorldState): void {
  zonesList.replaceChildren(
    ...state.zones.map((zone) => {
      const li = document.createElement('li');
      li.dataset.zone = String(zone.id);
      const percent = loadPercent(zone.load);
      li.innerHTML = `
        <div class="zone-head">
          <span class="swatch" style="background:${zoneColour(zone.id)}"></span>
          <strong>zone ${zone.id}</strong>
          <span class="state-${zone.state}">${zone.state}</span>
          <span>${zone.cells} cells, ${zone.entities}/${zone.capacity} entities, tick p99 ${zone.tick_time_ms_p99.toFixed(1)}/${zone.budget_ms} ms</span>
          <button type="button" class="drain"></button>
        </div>
        <div class="bar" title="load ${zone.load.toFixed(2)}"><div class="fill${zone.load > 0.7 ? ' hot' : ''}" style="width:${percent}%"></div></div>`;
      const drain = li.querySelector('.drain') as HTMLButtonElement;
      const undo = zone.state === 'draining';
      drain.textContent = undo ? 'Undrain' : 'Drain';
      drain.disabled = zone.state === 'dead';
      drain.addEventListener('click', () => void act(() => drainZone(zone.id, undo), `zone ${zone.id} ${undo ? 'undrained' : 'draining'}`));
      return li;
    }),
  );
  const live = state.zones.filter((z) => z.state === 'active').map((z) => String(z.id));
  const current = [...targetZone.options].map((o) => o.value);
  if (current.join() !== live.join()) {
    const keep = targetZone.value;
    targetZone.replaceChildren(...live.map((id) => new Option(`zone ${id}`, id)));
    if (live.includes(keep)) {
      targetZone.value = keep;
    }
  }
}

function pick(cell: string | null): void {
  picked = cell;
  pickedCell.textContent = cell ?? '-';
  moveButton.disabled = cell === null;
  splitButton.disabled = cell === null;
  mergeButton.disabled = cell === null || !cell.includes('/');
  for (const el of grid.querySelectorAll<HTMLElement>('.cell')) {
    el.classList.toggle('picked', el.dataset.cell === cell);
  }
}

async function act(action: () => Promise<unknown>, done: string): Promise<void> {
  actionResult.className = '';
  actionResult.textContent = '…';
  try {
    await action();
    actionResult.textContent = done;
  } catch (e) {
    actionResult.className = 'error';
    actionResult.textContent = e instanceof ApiError && e.field !== null ? `${e.field}: ${e.message}` : String(e instanceof Error ? e.message : e);
  }
  await poll();
}

moveButton.addEventListener('click', () => {
  if (picked === null) {
    return;
  }
  const cell = picked;
  const zone = Number(targetZone.value);
  void act(() => moveCell(cell, zone), `cell ${cell} moved to zone ${zone}`);
});

splitButton.addEventListener('click', () => {
  if (picked !== null) {
    const cell = picked;
    void act(() => splitCell(cell), `cell ${cell} split into quarters`);
  }
});

// Merges the picked quarter with its three siblings, back into their parent.
mergeButton.addEventListener('click', () => {
  const [xy, depth] = (picked ?? '').split('/');
  const [x, y] = (xy ?? '').split('.').map(Number);
  const d = Number(depth);
  if (picked === null || !(d > 0) || x === undefined || y === undefined) {
    return;
  }
  const parent = d === 1 ? `${x >> 1}.${y >> 1}` : `${x >> 1}.${y >> 1}/${d - 1}`;
  void act(() => mergeCell(parent), `quarters of cell ${parent} merged`);
});

async function poll(): Promise<void> {
  try {
    const [state, events] = await Promise.all([getState(), getEvents(EVENTS_SHOWN)]);
    renderGrid(state);
    renderZones(state);
    leader.textContent = state.leader === null ? 'leader: none' : `leader: ${state.leader.name} (epoch ${state.leader.epoch})`;
    rebalance.textContent = `rebalancing ${state.rebalance ? 'on' : 'off'}`;
    gateways.textContent = `gateways: ${state.gateways.map((g) => `${g.id} (${g.address})`).join(', ') || 'none'}`;
    eventsList.replaceChildren(
      ...events
        .slice()
        .reverse()
        .map((e) => {
          const li = document.createElement('li');
          li.textContent = `${clockTime(e.at_unix_ms)} ${describeEvent(e)}`;
          return li;
        }),
    );
    last = state;
    pollStatus.className = '';
    pollStatus.textContent = `updated ${clockTime(Date.now())}`;
    document.body.dataset.ready = 'true';
  } catch (e) {
    pollStatus.className = 'error';
    pollStatus.textContent = `cannot reach the coordinator: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function loop(): Promise<void> {
  for (;;) {
    await poll();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

void loop();
