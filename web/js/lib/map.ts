// Leaflet maps of the console: tiles from the configured URL with its attribution; markers are drawn by us
// (a shape with a letter), so they show — and differ without colour — even when no tile loads.
import L from 'leaflet';

export interface MarkerStyle {
  letter: string;
  shape: 'circle' | 'square' | 'diamond';
  label: string;
}

export function createMap(element: HTMLElement, options: { center: [number, number]; zoom: number }): L.Map {
  const map = L.map(element, { center: options.center, zoom: options.zoom, keyboard: true });
  const tileUrl = element.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: element.dataset.attribution ?? '', maxZoom: 19, crossOrigin: false }).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  return map;
}

export function markerIcon(style: MarkerStyle): L.DivIcon {
  return L.divIcon({
    className: `console-marker console-marker-${style.shape}`,
    html: `<span aria-hidden="true">${style.letter}</span>`,
    iconSize: [26, 26],
    iconAnchor: [13, 13],
  });
}

/** Status → marker: Open is a circle "O", In progress a square "P", Closed a diamond "C". */
export function markerStyleOf(status: string, detailed: string): MarkerStyle {
  if (status === 'closed') return { letter: 'C', shape: 'diamond', label: 'Closed' };
  if (detailed === 'in_progress' || detailed === 'acknowledged' || detailed === 'on_hold')
    return { letter: 'P', shape: 'square', label: 'In progress' };
  return { letter: 'O', shape: 'circle', label: 'Open' };
}
