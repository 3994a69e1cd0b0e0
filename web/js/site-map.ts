// The public map: the map's box drives the list beside it (the list is the accessible view and the no-JS one).
// Open reports are round markers, closed ones square with a tick, so they differ without colour.
import * as L from 'leaflet';
import { createMap } from './site-lib/map.js';

const container = document.getElementById('public-map');
const filters = document.querySelector<HTMLFormElement>('[data-map-filters]');
const results = (): HTMLElement | null => document.querySelector('[data-map-results]');

if (container && filters) {
  const map = createMap(container, { zoom: 13 });
  const markers = L.layerGroup().addTo(map);
  const bboxField = filters.querySelector<HTMLInputElement>('[data-bbox]');

  const drawMarkers = (): void => {
    markers.clearLayers();
    for (const item of document.querySelectorAll<HTMLElement>('[data-request]')) {
      const lat = Number(item.dataset.lat);
      const long = Number(item.dataset.long);
      if (item.dataset.lat === '' || !Number.isFinite(lat) || !Number.isFinite(long)) continue;
      const closed = item.dataset.status === 'closed';
      const marker = L.marker([lat, long], {
        icon: L.divIcon({
          className: `map-marker map-marker--${closed ? 'closed' : 'open'}`,
          html: `<span aria-hidden="true">${closed ? '✓' : '●'}</span>`,
          iconSize: [24, 24],
        }),
        title: `${item.dataset.title ?? ''} (${closed ? container.dataset.closed : container.dataset.open})`,
        keyboard: false,
      });
      marker.on('click', () => {
        window.location.href = `/requests/${item.dataset.id}`;
      });
      markers.addLayer(marker);
    }
  };

  let controller: AbortController | undefined;
  const refresh = async (): Promise<void> => {
    const bounds = map.getBounds();
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((value) => value.toFixed(5))
      .join(',');
    if (bboxField) bboxField.value = bbox;
    const query = new URLSearchParams(new FormData(filters) as unknown as Record<string, string>);
    query.set('fragment', 'list');
    controller?.abort();
    controller = new AbortController();
    try {
      const response = await fetch(`/map?${query}`, { signal: controller.signal, headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const current = results();
      if (!current) return;
      const template = document.createElement('template');
      template.innerHTML = await response.text();
      const next = template.content.firstElementChild;
      if (next) current.replaceWith(next);
      drawMarkers();
    } catch {
      // A failed refresh keeps the list that is shown.
    }
  };
  drawMarkers();
  map.on('moveend', () => void refresh());
  for (const select of filters.querySelectorAll('select')) select.addEventListener('change', () => void refresh());
}
