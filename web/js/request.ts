// The request page and work order: the location map, response templates that fill the note, the print button.
import { createMap, markerIcon, markerStyleOf } from './lib/map.js';
import L from 'leaflet';

const element = document.querySelector<HTMLElement>('[data-map]');
if (element) {
  const lat = Number(element.dataset.lat);
  const long = Number(element.dataset.long);
  const map = createMap(element, { center: [lat, long], zoom: 17 });
  const style = markerStyleOf('open', 'submitted');
  L.marker([lat, long], {
    icon: markerIcon({ ...style, letter: '•' }),
    title: element.dataset.label ?? '',
    alt: element.dataset.label ?? '',
    keyboard: false,
  }).addTo(map);
}

// A template fills the note it belongs to (the server also applies it when the note is left empty).
for (const select of document.querySelectorAll<HTMLSelectElement>('[data-template-select]')) {
  select.addEventListener('change', () => {
    const target = document.getElementById(select.dataset.templateSelect ?? '') as HTMLTextAreaElement | null;
    const text = select.selectedOptions[0]?.dataset.text;
    if (target && text) target.value = text;
  });
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-print]'))
  button.addEventListener('click', () => window.print());
export {};
