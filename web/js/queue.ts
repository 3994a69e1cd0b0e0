import { startTriage } from './lib/triage.js';

// The queue page: live updates (conditional polling of a small fingerprint; the fresh table is fetched only
// when it changed, keeping the selection), and "select all".
const main = document.querySelector<HTMLElement>('main');
const liveUrl = main?.dataset.liveUrl;
const status = document.querySelector<HTMLElement>('[data-live-status]');
let etag: string | undefined;
let known: Set<string> | undefined;

async function poll(): Promise<void> {
  if (!liveUrl || document.hidden) return;
  const response = await fetch(liveUrl, { headers: etag ? { 'If-None-Match': etag } : {}, credentials: 'same-origin' });
  if (response.status === 304 || !response.ok) return;
  etag = response.headers.get('ETag') ?? undefined;
  const body = (await response.json()) as { rows: string[]; total: number };
  const rows = new Set(body.rows);
  if (known === undefined) {
    known = rows;
    return;
  }
  const changed = body.rows.filter((row) => !known!.has(row)).length;
  known = rows;
  if (changed === 0) return;
  await refreshTable(changed);
}

async function refreshTable(changed: number): Promise<void> {
  const response = await fetch(window.location.href, { credentials: 'same-origin' });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  const oldBody = document.querySelector('[data-queue-table] tbody');
  const newBody = fresh.querySelector('[data-queue-table] tbody');
  const oldCount = document.querySelector('[data-queue-count]');
  const newCount = fresh.querySelector('[data-queue-count]');
  if (!oldBody || !newBody) return;
  const checked = new Set(
    [...document.querySelectorAll<HTMLInputElement>('[data-queue-table] input[type=checkbox]:checked')].map(
      (box) => box.value.split(':')[0],
    ),
  );
  const currentId = document.querySelector<HTMLElement>('tr.is-current')?.dataset.id;
  oldBody.replaceWith(newBody);
  for (const box of newBody.querySelectorAll<HTMLInputElement>('input[type=checkbox]'))
    if (checked.has(box.value.split(':')[0]!)) box.checked = true;
  if (oldCount && newCount) oldCount.textContent = newCount.textContent;
  document.dispatchEvent(new CustomEvent('queue:refreshed', { detail: { currentId } }));
  if (status) status.textContent = `The queue was updated: ${changed} new or changed request${changed === 1 ? '' : 's'}.`;
}

startTriage();

// A template fills the bulk note (the server also applies it when the note is left empty).
for (const select of document.querySelectorAll<HTMLSelectElement>('[data-template-select]')) {
  select.addEventListener('change', () => {
    const target = document.getElementById(select.dataset.templateSelect ?? '') as HTMLTextAreaElement | null;
    const text = select.selectedOptions[0]?.dataset.text;
    if (target && text) target.value = text;
  });
}

if (liveUrl) {
  void poll();
  window.setInterval(() => void poll().catch(() => undefined), 10_000);
}
export {};
