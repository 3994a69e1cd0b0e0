// Admin pages: the service areas on a map (from the table's GeoJSON), and a chosen GeoJSON file read into the
// text field (the form also works by pasting).
import L from 'leaflet';
import { createMap } from './lib/map.js';

const element = document.querySelector<HTMLElement>('[data-areas-map]');
if (element) {
  const map = createMap(element, { center: [39.7137, -82.5993], zoom: 12 });
  const layers: L.GeoJSON[] = [];
  for (const row of document.querySelectorAll<HTMLElement>('[data-area]')) {
    try {
      const geometry = JSON.parse(row.dataset.geometry ?? '') as GeoJSON.Geometry;
      const layer = L.geoJSON(geometry, { style: { color: '#1d3557', weight: 2, fillOpacity: 0.1 } })
        .bindTooltip(row.dataset.name ?? '')
        .addTo(map);
      layers.push(layer);
    } catch {
      // A row without readable geometry is simply not drawn; the table still lists it.
    }
  }
  if (layers.length > 0) {
    const bounds = layers.reduce((all, layer) => all.extend(layer.getBounds()), layers[0]!.getBounds());
    map.fitBounds(bounds, { maxZoom: 15 });
  }
}

for (const input of document.querySelectorAll<HTMLInputElement>('[data-geojson-file]')) {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    const target = document.getElementById(input.dataset.geojsonFile ?? '') as HTMLTextAreaElement | null;
    if (!file || !target || file.size > 900_000) return;
    target.value = await file.text();
  });
}
export {};
