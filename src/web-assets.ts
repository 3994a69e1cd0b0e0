// Builds the browser assets into dist/public: each web/js/*.ts entry bundled by esbuild (Leaflet and uPlot
// come from node_modules, so nothing loads from a CDN), web/css/*.css copied, plus Leaflet's and uPlot's CSS
// and images. Run by `npm run build` and once by the test setup; the server only serves the folder.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './project-root.js';

export const PUBLIC_DIRECTORY = path.join(PROJECT_ROOT, 'dist', 'public');
/** URL prefix of the built assets. */
export const ASSETS_URL_PATH = '/assets';

export async function buildWebAssets(outDirectory = PUBLIC_DIRECTORY): Promise<void> {
  const { build } = await import('esbuild');
  const webDirectory = path.join(PROJECT_ROOT, 'web');
  const scripts = fs.existsSync(path.join(webDirectory, 'js'))
    ? fs
        .readdirSync(path.join(webDirectory, 'js'))
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
        .map((name) => path.join(webDirectory, 'js', name))
    : [];
  fs.mkdirSync(path.join(outDirectory, 'js'), { recursive: true });
  if (scripts.length > 0) {
    await build({
      entryPoints: scripts,
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['es2020'],
      outdir: path.join(outDirectory, 'js'),
      logLevel: 'error',
    });
  }
  const copy = (from: string, to: string): void => {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(from, to, { recursive: true });
  };
  if (fs.existsSync(path.join(webDirectory, 'css'))) copy(path.join(webDirectory, 'css'), path.join(outDirectory, 'css'));
  if (fs.existsSync(path.join(webDirectory, 'images')))
    copy(path.join(webDirectory, 'images'), path.join(outDirectory, 'images'));
  const modules = path.join(PROJECT_ROOT, 'node_modules');
  copy(path.join(modules, 'leaflet', 'dist', 'leaflet.css'), path.join(outDirectory, 'vendor', 'leaflet', 'leaflet.css'));
  copy(path.join(modules, 'leaflet', 'dist', 'images'), path.join(outDirectory, 'vendor', 'leaflet', 'images'));
  copy(path.join(modules, 'uplot', 'dist', 'uPlot.min.css'), path.join(outDirectory, 'vendor', 'uplot', 'uPlot.min.css'));
  // The API reference page (/docs) runs Swagger UI's prebuilt bundle as it is.
  for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css'])
    copy(path.join(modules, 'swagger-ui-dist', file), path.join(outDirectory, 'vendor', 'swagger-ui', file));
}

const invokedDirectly = process.argv[1] !== undefined && /web-assets\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) await buildWebAssets();
