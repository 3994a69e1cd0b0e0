// Keyboard triage on the queue: j/k move between rows, Enter opens, a assigns to me, c closes with a template,
// / searches, ? lists the shortcuts. Keys are ignored while typing in a field or with a modifier held, and every
// one of these actions is also a plain link, checkbox or button reachable by Tab.
const rows = (): HTMLTableRowElement[] => [...document.querySelectorAll<HTMLTableRowElement>('[data-request-row]')];

let currentId: string | undefined;

function setCurrent(row: HTMLTableRowElement | undefined, focus = true): void {
  for (const other of rows()) other.classList.remove('is-current');
  if (!row) return;
  row.classList.add('is-current');
  currentId = row.dataset.id;
  if (focus) row.querySelector<HTMLAnchorElement>('a[data-open]')?.focus();
}

const currentRow = (): HTMLTableRowElement | undefined => rows().find((row) => row.dataset.id === currentId);

function move(step: number): void {
  const list = rows();
  if (list.length === 0) return;
  const index = list.findIndex((row) => row.dataset.id === currentId);
  const next = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
  setCurrent(list[next]);
}

function selectOnly(row: HTMLTableRowElement): void {
  for (const box of document.querySelectorAll<HTMLInputElement>('[data-request-row] input[type=checkbox]')) box.checked = false;
  const box = row.querySelector<HTMLInputElement>('input[type=checkbox]');
  if (box) box.checked = true;
}

function bulk(action: string): HTMLFormElement | undefined {
  const row = currentRow();
  const form = document.getElementById('bulk-form') as HTMLFormElement | null;
  const select = document.getElementById('bulk-action') as HTMLSelectElement | null;
  if (!row || !form || !select || ![...select.options].some((option) => option.value === action)) return undefined;
  selectOnly(row);
  select.value = action;
  return form;
}

const typing = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));

export function startTriage(): void {
  const dialog = document.getElementById('shortcuts') as HTMLDialogElement | null;
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-shortcuts-open]'))
    button.addEventListener('click', () => dialog?.showModal());
  // A row clicked or focused by Tab becomes the current one, so the keys act where the person is.
  document.addEventListener('focusin', (event) => {
    const row = (event.target as HTMLElement | null)?.closest?.<HTMLTableRowElement>('[data-request-row]');
    if (row) setCurrent(row, false);
  });
  document.addEventListener('queue:refreshed', () => setCurrent(currentRow(), false));
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (dialog?.open) return;
    switch (event.key) {
      case 'j':
        move(1);
        break;
      case 'k':
        move(-1);
        break;
      case '/': {
        const search = document.querySelector<HTMLInputElement>('[data-search]');
        if (!search) return;
        search.focus();
        search.select();
        break;
      }
      case '?':
        dialog?.showModal();
        break;
      case 'a': {
        const form = bulk('assign_me');
        if (!form) return;
        form.requestSubmit();
        break;
      }
      case 'c': {
        const form = bulk('close');
        if (!form) return;
        const template = document.getElementById('bulk-template') as HTMLSelectElement | null;
        (template && template.options.length > 1
          ? template
          : (document.getElementById('bulk-note') as HTMLElement | null)
        )?.focus();
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  });
}
