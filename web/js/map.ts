// The map of the queue: one marker per request of the list (shape + letter by status), the list follows the
// map's box (bbox in the URL, list fetched fresh), and a marker's popup links to the request.
import L from 'leaflet';
import { createMap, markerIcon, markerStyleOf } from './lib/map.js';

const LANCASTER: [number, number] = [39.7137, -82.5993];
const element = document.querySelector<HTMLElement>('[data-queue-map]');

function readItems(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-map-item]')].filter((item) => item.dataset.lat && item.dataset.long);
}

if (element) {
  const map = createMap(element, { center: LANCASTER, zoom: 13 });
  const layer = L.layerGroup().addTo(map);
  const draw = (): L.LatLng[] => {
    layer.clearLayers();
    const points: L.LatLng[] = [];
    for (const item of readItems()) {
      const point = L.latLng(Number(item.dataset.lat), Number(item.dataset.long));
      points.push(point);
      const style = markerStyleOf(item.dataset.status ?? 'open', item.dataset.detailed ?? 'submitted');
      const link = document.createElement('a');
      link.href = `/staff/requests/${item.dataset.id}`;
      link.textContent = item.dataset.label ?? `Request ${item.dataset.id}`;
      L.marker(point, {
        icon: markerIcon(style),
        title: item.dataset.label ?? '',
        alt: item.dataset.label ?? '',
        keyboard: false,
      })
        .bindPopup(link)
        .addTo(layer);
    }
    return points;
  };
  // The container's final size is known only now that the CSS has applied.
  map.invalidateSize();
  const bbox = element.dataset.bbox?.split(',').map(Number);
  const points = draw();
  if (bbox && bbox.length === 4 && bbox.every(Number.isFinite)) {
    map.fitBounds([
      [bbox[1]!, bbox[0]!],
      [bbox[3]!, bbox[2]!],
    ]);
  } else if (points.length > 0) {
    map.fitBounds(L.latLngBounds(points), { maxZoom: 16, padding: [20, 20] });
  }

  const follow = document.querySelector<HTMLInputElement>('[data-follow-map]');
  let ready = false;
  // fitBounds above moves the map once; only moves after that are the person's.
  window.setTimeout(() => (ready = true), 500);
  let pending: number | undefined;
  map.on('moveend', () => {
    if (!ready || !follow?.checked) return;
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void refresh(), 400);
  });

  async function refresh(): Promise<void> {
    const bounds = map.getBounds();
    const box = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((value) => value.toFixed(5))
      .join(',');
    const url = new URL(window.location.href);
    url.searchParams.set('bbox', box);
    url.searchParams.delete('page');
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    const list = document.querySelector('[data-map-list]');
    const freshList = fresh.querySelector('[data-map-list]');
    if (!list || !freshList) return;
    list.replaceWith(freshList);
    history.replaceState(null, '', url);
    // The queue link keeps the same view, box included.
    const queueLink = document.querySelector<HTMLAnchorElement>('[data-queue-link]');
    if (queueLink) queueLink.href = `/staff/${url.search}`;
    const bboxField = document.getElementById('filter-bbox') as HTMLInputElement | null;
    if (bboxField) bboxField.value = box;
    draw();
  }
}
export {};
