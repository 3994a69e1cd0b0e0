// Shared by the site's maps: a Leaflet map on a container that carries its settings in data- attributes
// (tile URL template, attribution, centre). Tiles are a setting (MAP_TILE_URL), sent with a Referer as the OSM
// tile policy asks; when they do not load the map still works as a frame for the crosshair.
import * as L from 'leaflet';

export function createMap(container: HTMLElement, options: { zoom: number; keyboardLabel?: string }): L.Map {
  const lat = Number(container.dataset.lat);
  const long = Number(container.dataset.long);
  container.hidden = false;
  const map = L.map(container, { center: [lat, long], zoom: options.zoom, keyboard: true, zoomControl: true });
  const tiles = container.dataset.tileUrl;
  if (tiles) {
    L.tileLayer(tiles, {
      maxZoom: 19,
      attribution: container.dataset.attribution ?? '',
      referrerPolicy: 'strict-origin-when-cross-origin',
    }).addTo(map);
  }
  // Leaflet makes the container focusable; give it a name for screen readers.
  container.setAttribute('role', 'application');
  if (container.dataset.label) container.setAttribute('aria-label', container.dataset.label);
  // Leaflet's attribution prefix link opens another site: keep it but make it readable.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  return map;
}
