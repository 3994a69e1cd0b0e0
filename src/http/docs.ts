// The API reference at GET /docs: Swagger UI (swagger-ui-dist, copied to /assets/vendor/swagger-ui by
// src/web-assets.ts, so nothing loads from a CDN) rendering this server's /openapi.json. The page runs under
// the pages' strict CSP: its initializer is the web/js/docs.ts bundle, never an inline script; without
// JavaScript it still links the document itself.
import express, { type Router } from 'express';
import { html } from './pages/html.js';
import { pageSecurityHeaders } from './pages/security.js';
import { ASSETS_URL_PATH } from '../web-assets.js';

export const DOCS_PATH = '/docs';
export const SWAGGER_UI_ASSETS = `${ASSETS_URL_PATH}/vendor/swagger-ui`;

function docsPage(title: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<link rel="stylesheet" href="${SWAGGER_UI_ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="${ASSETS_URL_PATH}/css/docs.css">
</head>
<body>
<main>
<h1 class="docs-title">${title}</h1>
<p class="docs-source">The OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</p>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
</main>
<script src="${SWAGGER_UI_ASSETS}/swagger-ui-bundle.js"></script>
<script type="module" src="${ASSETS_URL_PATH}/js/docs.js"></script>
</body>
</html>
`.toString();
}

export function docsRouter(): Router {
  const router = express.Router();
  const page = docsPage('open311-server API reference');
  router.get(DOCS_PATH, pageSecurityHeaders([]), (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('html').send(page);
  });
  return router;
}
