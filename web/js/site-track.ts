// The track page's small map: the request's point (the page says where it is in words too).
import * as L from 'leaflet';
import { createMap } from './site-lib/map.js';

const container = document.getElementById('track-map');
if (container) {
  const map = createMap(container, { zoom: 17 });
  L.marker([Number(container.dataset.lat), Number(container.dataset.long)], {
    icon: L.divIcon({ className: 'map-marker map-marker--open', html: '<span aria-hidden="true">●</span>', iconSize: [24, 24] }),
    keyboard: false,
  }).addTo(map);
}
