// Enhancements of the report flow (every step works without them): the crosshair map and "use my location" on
// the where step, live filtering of the service list, photos shrunk to at most 2048 px (which also drops their
// metadata) with HEIC refused before upload, the error summary focused, and one send per click.
import { createMap } from './site-lib/map.js';

const MAX_SIDE = 2048;

function whereStep(): void {
  const block = document.querySelector<HTMLElement>('[data-map-block]');
  const container = document.getElementById('report-map');
  const latField = document.querySelector<HTMLInputElement>('input[name="lat"]');
  const longField = document.querySelector<HTMLInputElement>('input[name="long"]');
  const status = document.getElementById('pin-status');
  if (!block || !container || !latField || !longField || !status) return;
  block.hidden = false;
  const map = createMap(container, { zoom: Number(container.dataset.zoom ?? 14) });
  const template = status.dataset.template ?? '';
  const setPin = (): void => {
    const centre = map.getCenter();
    latField.value = centre.lat.toFixed(6);
    longField.value = centre.lng.toFixed(6);
    status.textContent = template.replace('{lat}', centre.lat.toFixed(5)).replace('{long}', centre.lng.toFixed(5));
  };
  // The pin is the centre of the map: moving the map (drag, keys, zoom) places it.
  let moved = false;
  map.on('movestart', () => {
    moved = true;
  });
  map.on('moveend', () => {
    if (moved) setPin();
  });
  const locate = document.querySelector<HTMLButtonElement>('[data-locate]');
  if (locate && 'geolocation' in navigator) {
    locate.addEventListener('click', () => {
      status.textContent = locate.dataset.locating ?? '';
      navigator.geolocation.getCurrentPosition(
        (position) => {
          moved = true;
          map.setView([position.coords.latitude, position.coords.longitude], 18);
          setPin();
        },
        () => {
          status.textContent = locate.dataset.failed ?? '';
        },
        { enableHighAccuracy: true, timeout: 15000 },
      );
    });
  } else if (locate) locate.hidden = true;
}

function serviceSearch(): void {
  const input = document.querySelector<HTMLInputElement>('[data-service-search-input]');
  const status = document.querySelector<HTMLElement>('[data-service-search-status]');
  if (!input) return;
  const choices = [...document.querySelectorAll<HTMLElement>('[data-service-choice]')];
  const groups = [...document.querySelectorAll<HTMLElement>('[data-service-group]')];
  const template = status?.dataset.template ?? '{count}';
  input.addEventListener('input', () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const choice of choices) {
      const text = choice.dataset.searchText ?? '';
      const match = words.every((word) => text.includes(word));
      choice.hidden = !match;
      if (match) shown += 1;
    }
    for (const group of groups) group.hidden = !group.querySelector('[data-service-choice]:not([hidden])');
    if (status) status.textContent = words.length > 0 ? template.replace('{count}', String(shown)) : '';
  });
  // Enter in the search box filters instead of submitting the step.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') event.preventDefault();
  });
}

async function shrink(file: File): Promise<File> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob) return file;
  return new File([blob], file.name.replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' });
}

const isHeic = (file: File): boolean => /hei[cf]/i.test(file.type) || /\.hei[cf]$/i.test(file.name);

function photos(): void {
  const input = document.querySelector<HTMLInputElement>('[data-photo-input]');
  const status = document.querySelector<HTMLElement>('[data-photo-status]');
  if (!input || !status || typeof DataTransfer === 'undefined') return;
  let busy: Promise<void> = Promise.resolve();
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    if (files.some(isHeic)) {
      status.textContent = input.dataset.heicMessage ?? '';
      status.classList.add('field-error');
    } else status.classList.remove('field-error');
    busy = (async () => {
      status.textContent = files.some(isHeic) ? status.textContent : (input.dataset.shrinking ?? '');
      const kept = new DataTransfer();
      for (const file of files) {
        if (isHeic(file)) continue;
        try {
          kept.items.add(file.type === 'image/gif' ? file : await shrink(file));
        } catch {
          kept.items.add(file);
        }
      }
      input.files = kept.files;
      if (!files.some(isHeic)) status.textContent = '';
    })();
  });
  input.form?.addEventListener('submit', (event) => {
    const form = input.form!;
    if (form.dataset.ready === 'yes') return;
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
    // Outside this event's dispatch: a form ignores requestSubmit() while its submit event is being fired.
    void busy.then(() =>
      setTimeout(() => {
        form.dataset.ready = 'yes';
        form.requestSubmit(submitter ?? undefined);
      }, 0),
    );
  });
}

function preventDoubleSend(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-prevent-double-submit]')) {
    button.form?.addEventListener('submit', (event) => {
      if ((event as SubmitEvent).submitter !== button) return;
      if (button.dataset.sent === 'yes') event.preventDefault();
      // Disabled only after this submit has read the button's name and value.
      setTimeout(() => {
        button.dataset.sent = 'yes';
        button.setAttribute('aria-disabled', 'true');
      }, 0);
    });
  }
}

function focusErrors(): void {
  document.querySelector<HTMLElement>('[data-autofocus]')?.focus();
}

whereStep();
serviceSearch();
photos();
preventDoubleSend();
focusErrors();
