// Trends: each chart is drawn from the data table beside it (uPlot), so the picture and the numbers are the same
// rows; the hotspot map draws the table's cells, and over them every public request of the period as clusters
// per cell of the zoom (/open311/map/clusters), fetched again for each view. Series differ by dash pattern
// as well as colour.
import L from 'leaflet';
import uPlot from 'uplot';
import { createMap } from './lib/map.js';

const COLOURS = ['#1d3557', '#b10e1e', '#00703c', '#7a4b00', '#4c2c92', '#005ea5', '#505a5f', '#912b88', '#28a197', '#f47738'];
const DASHES: number[][] = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1], [12, 6]];

function readTable(id: string): { header: string[]; labels: string[]; columns: Array<Array<number | null>> } | undefined {
  const table = document.getElementById(id) as HTMLTableElement | null;
  if (!table) return undefined;
  const header = [...table.querySelectorAll('thead th')].map((cell) => cell.textContent ?? '');
  const rows = [...table.querySelectorAll('tbody tr')].filter((row) => row.querySelector('th'));
  const labels = rows.map((row) => row.querySelector('th')?.textContent ?? '');
  const columns = header.slice(1).map((_, index) =>
    rows.map((row) => {
      const value = row.querySelectorAll('td')[index]?.getAttribute('data-value');
      return value === null || value === undefined || value === '' ? null : Number(value);
    }),
  );
  return { header, labels, columns };
}

function width(element: HTMLElement): number {
  return Math.max(280, Math.min(element.clientWidth || 800, 1100));
}

for (const element of document.querySelectorAll<HTMLElement>('[data-chart]')) {
  const data = readTable(element.dataset.table ?? '');
  if (!data || data.labels.length === 0) continue;
  const kind = element.dataset.chart;
  // Skip the "Total" column of a per-service table and the "Closed" count of the close times: other scales.
  const keep = data.header.slice(1).map((name) => name !== 'Total' && name !== 'Closed');
  let series = data.header.slice(1).filter((_, index) => keep[index]);
  let columns = data.columns.filter((_, index) => keep[index]);
  // Bars of one category stand on one spot: the taller 90th percentile is drawn first, behind the median, so
  // each bar keeps its own colour instead of the median showing through the other.
  if (kind === 'bars') {
    series = series.reverse();
    columns = columns.reverse();
  }
  const x =
    kind === 'lines' && data.labels.every((label) => /^\d{4}-\d{2}-\d{2}$/.test(label))
      ? data.labels.map((label) => Date.parse(`${label}T12:00:00`) / 1000)
      : data.labels.map((_, index) => index);
  const categorical = x.every((value, index) => value === index);
  const bars = kind === 'bars' ? uPlot.paths.bars?.({ size: [0.6 / Math.max(1, series.length), 60], gap: 2 }) : undefined;
  const chartWidth = width(element);
  // Names along a category axis: one tick per category, half a slot of room at each end so the first and last
  // bars and names are not cut, and on end when they would run into each other (a phone, many services).
  const longest = Math.max(...data.labels.map((label) => label.length));
  const slanted = categorical && (longest * 7 + 8) * data.labels.length > chartWidth - 60;
  const categoryAxis: uPlot.Axis = {
    splits: () => data.labels.map((_, index) => index),
    values: (_self, ticks) => ticks.map((tick) => data.labels[tick] ?? ''),
    ...(slanted ? { rotate: -90, size: Math.min(150, 16 + longest * 7) } : {}),
  };
  const options: uPlot.Options = {
    width: chartWidth,
    height: slanted ? 380 : 260,
    scales: {
      x: categorical ? { time: false, range: () => [-0.5, data.labels.length - 0.5] } : { time: true },
    },
    axes: [categorical ? categoryAxis : {}, {}],
    series: [
      { label: data.header[0] ?? '' },
      ...series.map((label, index) => ({
        label,
        stroke: COLOURS[index % COLOURS.length],
        width: 2,
        dash: DASHES[index % DASHES.length],
        ...(bars ? { paths: bars, fill: `${COLOURS[index % COLOURS.length]}cc` } : {}),
      })),
    ],
  };
  const aligned = [x, ...columns] as unknown as uPlot.AlignedData;
  new uPlot(options, aligned, element);
}

const hotspotMap = document.querySelector<HTMLElement>('[data-hotspot-map]');
if (hotspotMap) {
  const data = readTable('trend-hotspots-table');
  const map = createMap(hotspotMap, { center: [39.7137, -82.5993], zoom: 13 });
  if (data && data.labels.length > 0) {
    const [count, , south, west, north, east] = data.columns;
    const max = Math.max(...(count ?? []).map((value) => value ?? 0), 1);
    const bounds: L.LatLngBounds[] = [];
    data.labels.forEach((label, index) => {
      const box = L.latLngBounds([south![index]!, west![index]!], [north![index]!, east![index]!]);
      bounds.push(box);
      const share = (count![index] ?? 0) / max;
      L.rectangle(box, { color: '#0b0c0c', weight: 1, fillColor: '#b10e1e', fillOpacity: 0.15 + 0.6 * share })
        .bindTooltip(`${label}: ${count![index]} requests`)
        .addTo(map);
    });
    map.fitBounds(
      bounds.reduce((all, box) => all.extend(box), L.latLngBounds(bounds[0]!.getSouthWest(), bounds[0]!.getNorthEast())),
      {
        maxZoom: 15,
      },
    );
  }
  const clustersUrl = hotspotMap.dataset.clustersUrl;
  if (clustersUrl) showClusters(map, clustersUrl, document.querySelector<HTMLElement>('[data-cluster-status]'));
}

interface ClusterFeature {
  geometry: { coordinates: [number, number] };
  properties: { count: number; service_request_id?: string };
}

/** Draws the clusters of the map's view, again after each move (the last answer wins). */
function showClusters(map: L.Map, url: string, status: HTMLElement | null): void {
  const layer = L.layerGroup().addTo(map);
  let pending: AbortController | undefined;
  const clamp = (value: number, limit: number): string => Math.max(-limit, Math.min(limit, value)).toFixed(6);
  let shown: string | undefined;
  const load = async (): Promise<void> => {
    const view = map.getBounds();
    const bbox = [clamp(view.getWest(), 180), clamp(view.getSouth(), 90), clamp(view.getEast(), 180), clamp(view.getNorth(), 90)];
    const zoom = Math.max(0, Math.min(20, Math.round(map.getZoom())));
    const address = `${url}&zoom=${zoom}&bbox=${bbox.join(',')}`;
    // A move that ends where the map already is (fitBounds to the same view) asks nothing again.
    if (address === shown) return;
    shown = address;
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    try {
      const response = await fetch(address, { signal: controller.signal });
      if (!response.ok) {
        // Read the refusal to its end: an unread body holds the connection (and the browser's cache entry for
        // this address) open.
        await response.text();
        if (status) status.textContent = 'Every request of the period can be mapped for periods of up to 90 days.';
        layer.clearLayers();
        return;
      }
      const { features } = (await response.json()) as { features: ClusterFeature[] };
      if (controller.signal.aborted) return;
      layer.clearLayers();
      let total = 0;
      for (const feature of features) {
        const [long, lat] = feature.geometry.coordinates;
        const count = feature.properties.count;
        total += count;
        const size = count === 1 ? 12 : Math.round(22 + 6 * Math.log10(count));
        L.marker([lat, long], {
          interactive: false,
          keyboard: false,
          icon: L.divIcon({
            className: count === 1 ? 'cluster-marker cluster-marker-one' : 'cluster-marker',
            html: count === 1 ? '' : `<span aria-hidden="true">${count}</span>`,
            iconSize: [size, size],
            iconAnchor: [size / 2, size / 2],
          }),
        }).addTo(layer);
      }
      if (status)
        status.textContent = `This view holds ${total} public request${total === 1 ? '' : 's'} of the period, in ${features.length} cluster${features.length === 1 ? '' : 's'}.`;
    } catch (error) {
      if (shown === address) shown = undefined;
      if ((error as Error).name !== 'AbortError' && status) status.textContent = 'The map of every request could not be loaded.';
    }
  };
  map.on('moveend', () => void load());
  void load();
}
export {};
