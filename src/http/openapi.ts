// Builds the OpenAPI document from its sources, serves it at GET /openapi.json with this server's URL filled
// in, and writes it to spec/openapi.json (`npm run spec`), where test/openapi.test.ts checks it is current.
//
// The sources: spec/openapi-base.json (the GeoReport API and what every part shares), the documents of the
// other APIs in spec/openapi-fragments/, and the JSON Schemas of spec/schemas/. The first two refer to the
// JSON Schemas by file ("schemas/services.json", "schemas/create-request-input.json#/properties/lat"), and
// those schemas refer to each other by file too
// ("datetime.json"): the same files the server validates input with are the ones published. Tools that
// fetch /openapi.json alone cannot follow relative file references, so here every schema file is copied
// into components.schemas under its file name without ".json" and every such $ref is rewritten to
// "#/components/schemas/<name><pointer>".
//
// "$id" and "$schema" are dropped from the copies. Both are legal in an OpenAPI 3.1 Schema Object, but
// keeping them would be wrong, not just confusing: a relative "$id" such as "discovery.json" changes the
// base URI of everything inside the schema, so a rewritten "#/components/schemas/datetime" inside it would
// resolve against "discovery.json" instead of this document. Without "$schema" the copies use the
// document's default dialect (the OpenAPI 3.1 dialect, a superset of JSON Schema 2020-12), which every
// keyword of the files belongs to; "x-message" stays, as an extension keyword tools ignore.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';
import { GEOREPORT_BASE_PATH, type Config } from '../config.js';
import { SCHEMAS_DIRECTORY } from '../validate/validate.js';

export const OPENAPI_BASE_PATH = path.join(PROJECT_ROOT, 'spec', 'openapi-base.json');
/** The whole document as served, written by `npm run spec` for readers of the repository. */
export const OPENAPI_DOCUMENT_PATH = path.join(PROJECT_ROOT, 'spec', 'openapi.json');
// Documents of the endpoints outside the GeoReport base (staff API, bulk export, health): each is
// {"paths": {…}, "components": {…}} with absolute paths ("/api/v1/…"), merged in with a path-level server
// of "/" so that tools resolve them against the host rather than /open311/v2.
export const FRAGMENTS_DIRECTORY = path.resolve(path.dirname(OPENAPI_BASE_PATH), 'openapi-fragments');

type JsonObject = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The component name and JSON pointer of a reference to a schema file, or undefined when `ref` is not one. */
function fileReference(ref: string, prefix: RegExp): { name: string; pointer: string } | undefined {
  const match = prefix.exec(ref);
  if (!match) return undefined;
  const fragment = match[2] ?? '';
  if (fragment !== '' && fragment !== '#' && !fragment.startsWith('#/')) {
    throw new Error(`spec: $ref ${ref} uses an anchor; only JSON pointers can be rewritten`);
  }
  return { name: match[1]!, pointer: fragment.replace(/^#/, '') };
}

// In spec/openapi-base.json and the fragments, schema files are "schemas/<file>.json"; inside spec/schemas/, "<file>.json".
const DOCUMENT_FILE_REF = /^(?:\.\/)?schemas\/([A-Za-z0-9._-]+)\.json(#.*)?$/;
const SCHEMA_FILE_REF = /^(?:\.\/)?([A-Za-z0-9._-]+)\.json(#.*)?$/;

// Keywords whose members are named subschemas: there, a key such as "example" is a property name.
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

/**
 * Rewrites every $ref below `node` in place. `within` is the component name when `node` is a copied schema
 * file (its own "#/…" refs then point into that component), undefined for the document itself.
 * Example values and the data keywords `const`/`enum` are data, not schemas: they are left alone.
 */
function rewriteRefs(node: unknown, within: string | undefined, schemaNames: ReadonlySet<string>, namesOnly = false): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteRefs(item, within, schemaNames);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (namesOnly) {
      rewriteRefs(value, within, schemaNames);
    } else if (key === '$ref' && typeof value === 'string') {
      node.$ref = rewriteRef(value, within, schemaNames);
    } else if (key === 'example' || key === 'const' || key === 'enum') {
    } else if (key === 'examples') {
      // OpenAPI: a map of Example Objects (or references to them) whose `value` is data.
      // JSON Schema: an array of instances.
      if (!isObject(value)) continue;
      for (const example of Object.values(value)) {
        if (isObject(example) && typeof example.$ref === 'string') example.$ref = rewriteRef(example.$ref, within, schemaNames);
      }
    } else {
      rewriteRefs(value, within, schemaNames, SCHEMA_MAPS.has(key));
    }
  }
}

function rewriteRef(ref: string, within: string | undefined, schemaNames: ReadonlySet<string>): string {
  if (ref.startsWith('#')) {
    return within === undefined ? ref : `${COMPONENT_PREFIX}${within}${ref.slice(1)}`;
  }
  const target = fileReference(ref, within === undefined ? DOCUMENT_FILE_REF : SCHEMA_FILE_REF);
  if (!target || !schemaNames.has(target.name)) {
    throw new Error(`spec: $ref ${ref}${within === undefined ? '' : ` in schemas/${within}.json`} is not a file of spec/schemas`);
  }
  return `${COMPONENT_PREFIX}${target.name}${target.pointer}`;
}

/** The base document with the fragments merged in, every spec/schemas/*.json in components.schemas and no reference outside itself. */
export function buildSelfContainedDocument(
  openApiPath: string = OPENAPI_BASE_PATH,
  schemasDirectory: string = SCHEMAS_DIRECTORY,
  fragmentsDirectory: string = FRAGMENTS_DIRECTORY,
): JsonObject {
  const document = JSON.parse(fs.readFileSync(openApiPath, 'utf8')) as JsonObject;
  mergeFragments(document, fragmentsDirectory);
  const files = fs
    .readdirSync(schemasDirectory)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const schemaNames = new Set(files.map((file) => file.slice(0, -'.json'.length)));

  rewriteRefs(document, undefined, schemaNames);

  const components = isObject(document.components) ? document.components : (document.components = {});
  const schemas = isObject(components.schemas) ? components.schemas : (components.schemas = {});
  for (const file of files) {
    const name = file.slice(0, -'.json'.length);
    if (name in schemas) throw new Error(`spec: components.schemas.${name} of openapi-base.json clashes with schemas/${file}`);
    const {
      $id: _id,
      $schema: _schema,
      ...schema
    } = JSON.parse(fs.readFileSync(path.join(schemasDirectory, file), 'utf8')) as JsonObject;
    rewriteRefs(schema, name, schemaNames);
    schemas[name] = schema;
  }
  return document;
}

function mergeFragments(document: JsonObject, directory: string): void {
  if (!fs.existsSync(directory)) return;
  const paths = isObject(document.paths) ? document.paths : (document.paths = {});
  const components = isObject(document.components) ? document.components : (document.components = {});
  for (const file of fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const fragment = JSON.parse(fs.readFileSync(path.join(directory, file), 'utf8')) as JsonObject;
    for (const [route, item] of Object.entries(isObject(fragment.paths) ? fragment.paths : {})) {
      if (route in paths) throw new Error(`spec: path ${route} of openapi-fragments/${file} is documented twice`);
      if (!route.startsWith('/') || route.startsWith(GEOREPORT_BASE_PATH))
        throw new Error(`spec: fragment path ${route} must be absolute and outside the GeoReport base`);
      paths[route] = { servers: [{ url: '/', description: 'This server (absolute path)' }], ...(item as JsonObject) };
    }
    for (const [section, entries] of Object.entries(isObject(fragment.components) ? fragment.components : {})) {
      const target = isObject(components[section]) ? (components[section] as JsonObject) : (components[section] = {});
      for (const [name, value] of Object.entries(entries as JsonObject)) {
        if (name in (target as JsonObject))
          throw new Error(`spec: components.${section}.${name} of openapi-fragments/${file} clashes`);
        (target as JsonObject)[name] = value;
      }
    }
  }
}

let built: JsonObject | undefined;
const served = new Map<string, string>();

/** The document with `servers` set: the only part that differs between the served and the written copy. */
function withServer(url: string, description: string): JsonObject {
  built ??= buildSelfContainedDocument();
  return { ...built, servers: [{ url, description }] };
}

/** The document served at GET /openapi.json: built once, then cached per public URL. */
export function openApiDocument(config: Config): string {
  const serverUrl = `${config.publicUrl}${GEOREPORT_BASE_PATH}`;
  let text = served.get(serverUrl);
  if (text === undefined) {
    text = JSON.stringify(withServer(serverUrl, 'This server'));
    served.set(serverUrl, text);
  }
  return text;
}

// The written copy has no host to name: its server is the GeoReport base, which a reader resolves against
// the host the document came from.
export const WRITTEN_SERVER = { url: GEOREPORT_BASE_PATH, description: 'The server this document is served by' } as const;

/** The text of spec/openapi.json: the served document, server aside, indented for reading and diffs. */
export function writtenOpenApiDocument(): string {
  return `${JSON.stringify(withServer(WRITTEN_SERVER.url, WRITTEN_SERVER.description), null, 2)}\n`;
}

// `npm run spec` (tsx src/http/openapi.ts): writes spec/openapi.json.
const invokedDirectly = process.argv[1] !== undefined && /http[\\/]openapi\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  fs.writeFileSync(OPENAPI_DOCUMENT_PATH, writtenOpenApiDocument());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_DOCUMENT_PATH)}`);
}
