// The published API description: built from spec/openapi-base.json, spec/openapi-fragments/ and spec/schemas/,
// served self-contained at GET /openapi.json (and written to spec/openapi.json). It must be
// complete (every GeoReport route, with its methods), self-contained (no reference outside itself), and
// true: every example validates against the spec/schemas files the server validates with, and matches what
// the live server answers for the same call.
import fs from 'node:fs';
import { expect } from 'chai';
import request from 'supertest';
import {
  FRAGMENTS_DIRECTORY,
  OPENAPI_BASE_PATH,
  OPENAPI_DOCUMENT_PATH,
  WRITTEN_SERVER,
  writtenOpenApiDocument,
} from '../src/http/openapi.js';
import { coerceCreateRequest } from '../src/validate/coerce.js';
import { schemaRegistry, SCHEMAS_DIRECTORY } from '../src/validate/validate.js';
import {
  assertSchema,
  BASE,
  ctx,
  get,
  postForm,
  postJson,
  postMultipart,
  send,
  unique,
  xmlToJsonShape,
  type Answer,
} from './helpers/test-server.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseDateTime } from '../src/domain/datetime.js';
import { BULK_BASE_PATH } from '../src/http/routes.js';
import { MAP_BASE_PATH } from '../src/http/map-clusters.js';
import { STAFF_BASE_PATH } from '../src/http/staff/router.js';
import { BULK_COLUMNS } from '../src/serialize/csv.js';
import { createKey } from '../src/store/api-keys-store.js';

type Json = Record<string, unknown>;
type Format = 'json' | 'xml';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** Every route of the GeoReport router (src/http/routes.ts), as documented paths with their methods. */
const ROUTES: Record<string, string[]> = {
  '/discovery.{format}': ['get'],
  '/services.{format}': ['get'],
  '/services/{service_code}.{format}': ['get'],
  '/requests.{format}': ['get', 'post'],
  '/requests/{service_request_id}.{format}': ['get'],
  '/tokens/{token}.{format}': ['get'],
  // EXT (FixMyStreet)
  '/servicerequestupdates.{format}': ['get', 'post'],
};

/** The XML root element of each document schema. */
const XML_ROOTS: Record<string, string> = {
  'discovery.json': 'discovery',
  'services.json': 'services',
  'service-definition.json': 'service_definition',
  'service-requests.json': 'service_requests',
  'created-requests.json': 'service_requests',
  'tokens.json': 'service_requests',
  'errors.json': 'errors',
  'service-request-updates.json': 'service_request_updates',
  'created-updates.json': 'service_request_updates',
};

const SCHEMA_FILES = new Set(fs.readdirSync(SCHEMAS_DIRECTORY).filter((file) => file.endsWith('.json')));

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * An XML body's schema: a string of media type text/xml whose content has the structure of `contentSchema`
 * (JSON Schema 2020-12), so that its examples are XML text and still validate against their schema.
 */
const isXmlString = (schema: Json): boolean =>
  schema.type === 'string' && schema.contentMediaType === 'text/xml' && isObject(schema.contentSchema);

/**
 * An XML example read back as its JSON shape (xml2js), or undefined with the problem noted when it is not
 * XML text: a string that starts with the XML declaration and parses.
 */
async function xmlExampleShape(where: string, value: unknown, problems: string[]): Promise<{ shape: unknown } | undefined> {
  if (typeof value !== 'string' || !value.startsWith(`${XML_DECLARATION}\n`)) {
    problems.push(`${where}: not a string starting with the XML declaration`);
    return undefined;
  }
  try {
    return { shape: await xmlToJsonShape(value) };
  } catch (error) {
    problems.push(`${where}: not well-formed (${String(error)})`);
    return undefined;
  }
}

let documentCache: Json | undefined;

async function servedDocument(): Promise<Json> {
  if (documentCache) return documentCache;
  const answer = await request(ctx().app).get('/openapi.json');
  expect(answer.status).to.equal(200);
  documentCache = JSON.parse(answer.text) as Json;
  return documentCache;
}

function pointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(segment in (node as Json))) return undefined;
    node = (node as Json)[segment];
  }
  return node;
}

/** Follows Reference Objects ({$ref} only) to what they point at. */
function deref<T = Json>(document: Json, node: unknown): T {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string' && Object.keys(current).length === 1; hops++) {
    if (hops > 10) throw new Error('reference cycle');
    current = pointer(document, current.$ref);
  }
  return current as T;
}

/**
 * "services.json" or "create-request-input.json#/properties/lat" for a schema that is (or is an allOf with)
 * a reference into a spec/schemas file; references to other components are followed. For an XML body (a
 * string of contentMediaType text/xml), the schema of its content.
 */
function schemaFileId(document: Json, schema: unknown): string | undefined {
  if (!isObject(schema)) return undefined;
  if (isXmlString(schema)) return schemaFileId(document, schema.contentSchema);
  if (typeof schema.$ref === 'string') {
    const match = /^#\/components\/schemas\/([^/]+)(\/.*)?$/.exec(schema.$ref);
    if (match && SCHEMA_FILES.has(`${match[1]}.json`)) return `${match[1]}.json${match[2] ? `#${match[2]}` : ''}`;
    return schemaFileId(document, pointer(document, schema.$ref));
  }
  if (Array.isArray(schema.allOf)) {
    for (const member of schema.allOf) {
      const id = schemaFileId(document, member);
      if (id) return id;
    }
  }
  return undefined;
}

function validateWith(schemaId: string, value: unknown): string | undefined {
  const check = schemaRegistry().getSchema(schemaId);
  if (!check) return `no schema ${schemaId}`;
  return check(value) ? undefined : JSON.stringify(check.errors);
}

interface FormShape {
  properties: Record<string, Json>;
  patterns: Array<[RegExp, Json]>;
  required: string[];
}

/** The declared fields of a form schema (its own properties and those of its allOf members). */
function formShape(document: Json, schema: unknown, into: FormShape = { properties: {}, patterns: [], required: [] }): FormShape {
  const node = deref(document, schema);
  if (!isObject(node)) return into;
  if (isObject(node.properties)) Object.assign(into.properties, node.properties);
  if (isObject(node.patternProperties)) {
    for (const [pattern, value] of Object.entries(node.patternProperties))
      into.patterns.push([new RegExp(pattern, 'u'), value as Json]);
  }
  if (Array.isArray(node.required)) into.required.push(...(node.required as string[]));
  if (Array.isArray(node.allOf)) for (const member of node.allOf) formShape(document, member, into);
  return into;
}

/** Checks one form value against its field schema: file schemas with ajv, anyOf, or a plain type. */
function fieldProblem(document: Json, schema: Json, value: unknown): string | undefined {
  const fileId = schemaFileId(document, schema);
  if (fileId) return validateWith(fileId, value);
  if (Array.isArray(schema.anyOf)) {
    const problems = schema.anyOf.map((member) => fieldProblem(document, member as Json, value));
    return problems.some((problem) => problem === undefined) ? undefined : problems.join(' / ');
  }
  const resolved = deref(document, schema);
  if (resolved.type === 'string') return typeof value === 'string' ? undefined : `${JSON.stringify(value)} is not text`;
  return `no way to check ${JSON.stringify(schema)}`;
}

function formProblems(document: Json, schema: unknown, value: unknown): string[] {
  if (!isObject(value)) return ['a form example must be an object of fields'];
  const shape = formShape(document, schema);
  const problems: string[] = [];
  for (const name of shape.required) if (!(name in value)) problems.push(`${name} is required`);
  for (const [name, fieldValue] of Object.entries(value)) {
    const fieldSchema = shape.properties[name] ?? shape.patterns.find(([pattern]) => pattern.test(name))?.[1];
    if (!fieldSchema) {
      problems.push(`${name} is not a documented field`);
      continue;
    }
    const problem = fieldProblem(document, fieldSchema, fieldValue);
    if (problem) problems.push(`${name}: ${problem}`);
  }
  return problems;
}

/** A form example as the key/value pairs a client sends: arrays are repeated keys, numbers their text. */
function toPairs(value: Json): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, field] of Object.entries(value)) {
    for (const item of Array.isArray(field) ? field : [field]) pairs.push([key, String(item)]);
  }
  return pairs;
}

interface DocumentedExample {
  where: string;
  path: string;
  method: string;
  /** 'request' or the response status. */
  part: string;
  mediaType: string;
  name: string;
  schema: unknown;
  value: unknown;
}

/**
 * The GeoReport operations: those served under the document's server (the GeoReport base). A path item
 * with a `servers` of its own lives elsewhere (another API of this server) and is not checked here.
 */
function operations(document: Json): Array<{ path: string; method: string; operation: Json }> {
  const out: Array<{ path: string; method: string; operation: Json }> = [];
  for (const [path, item] of Object.entries(document.paths as Json)) {
    if (isObject(item) && 'servers' in item) continue;
    for (const method of HTTP_METHODS) {
      const operation = (item as Json)[method];
      if (isObject(operation)) out.push({ path, method, operation });
    }
  }
  return out;
}

function documentedExamples(document: Json): DocumentedExample[] {
  const out: DocumentedExample[] = [];
  const collect = (path: string, method: string, part: string, content: unknown) => {
    if (!isObject(content)) return;
    for (const [mediaType, media] of Object.entries(content)) {
      const { schema, examples } = media as Json;
      expect(examples, `${method} ${path} ${part} ${mediaType} has no examples`).to.be.an('object');
      expect(Object.keys(examples as Json), `${method} ${path} ${part} ${mediaType} has no examples`).not.to.be.empty;
      for (const [name, example] of Object.entries(examples as Json)) {
        const { value } = deref(document, example);
        out.push({
          where: `${method.toUpperCase()} ${path} ${part} ${mediaType} "${name}"`,
          path,
          method,
          part,
          mediaType,
          name,
          schema,
          value,
        });
      }
    }
  };
  for (const { path, method, operation } of operations(document)) {
    const body = deref(document, operation.requestBody);
    if (body) collect(path, method, 'request', body.content);
    for (const [status, response] of Object.entries(operation.responses as Json)) {
      collect(path, method, status, deref(document, response).content);
    }
  }
  return out;
}

function example(document: Json, path: string, method: string, part: string, mediaType: string, name: string): unknown {
  const found = documentedExamples(document).find(
    (item) =>
      item.path === path && item.method === method && item.part === part && item.mediaType === mediaType && item.name === name,
  );
  if (!found) throw new Error(`no example "${name}" for ${method} ${path} ${part} ${mediaType}`);
  return found.value;
}

const rootElement = (xml: string): string | undefined => /^<\?xml[^>]*\?>\s*<([A-Za-z_][\w.-]*)/.exec(xml)?.[1];

async function parsedExample(
  document: Json,
  path: string,
  method: string,
  part: string,
  format: Format,
  name: string,
): Promise<unknown> {
  const value = example(document, path, method, part, format === 'json' ? 'application/json' : 'text/xml', name);
  return format === 'json' ? value : xmlToJsonShape(value as string);
}

const firstItem = (body: unknown): Json => (body as Json[])[0]!;

/** JSON as its XML reads back: an empty string is an empty element, i.e. null. */
function emptyAsNull(value: unknown): unknown {
  if (value === '') return null;
  if (Array.isArray(value)) return value.map(emptyAsNull);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, emptyAsNull(item)]));
  return value;
}

describe('OpenAPI document (GET /openapi.json, spec/openapi.json)', () => {
  it('answers 200 JSON, OpenAPI 3.1.0, with this server’s GeoReport base as its server', async () => {
    const answer = await request(ctx().app).get('/openapi.json');
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-type']).to.match(/^application\/json/);
    const document = JSON.parse(answer.text) as Json;
    expect(document.openapi).to.equal('3.1.0');
    expect(document.servers).to.deep.equal([{ url: `${ctx().config.publicUrl}${BASE}`, description: 'This server' }]);
    expect(document.info).to.include.keys('title', 'version', 'description');
    // The same (cached) document on every call.
    expect((await request(ctx().app).get('/openapi.json')).text).to.equal(answer.text);
  });

  it('is self-contained: every $ref is internal and points to an existing node', async () => {
    const document = await servedDocument();
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isObject(node)) {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') refs.push(String(value));
          else walk(value);
        }
      }
    };
    walk(document);
    expect(refs).not.to.be.empty;
    const unresolved = [...new Set(refs)].filter((ref) => !ref.startsWith('#/') || pointer(document, ref) === undefined);
    expect(unresolved).to.deep.equal([]);
  });

  it('publishes every spec/schemas file under components.schemas, the served copy equal to the file but for $id/$schema and refs', async () => {
    const document = await servedDocument();
    const schemas = (document.components as Json).schemas as Json;
    const raw = JSON.parse(fs.readFileSync(OPENAPI_BASE_PATH, 'utf8')) as Json;
    for (const file of SCHEMA_FILES) {
      const name = file.slice(0, -'.json'.length);
      const published = schemas[name] as Json;
      expect(published, `components.schemas.${name}`).to.be.an('object');
      expect(published).not.to.have.any.keys('$id', '$schema');
      const {
        $id: _id,
        $schema: _schema,
        ...original
      } = JSON.parse(fs.readFileSync(`${SCHEMAS_DIRECTORY}/${file}`, 'utf8')) as Json;
      // Equal once the rewritten references are turned back into file names.
      const back = JSON.parse(
        JSON.stringify(published).replace(
          /"#\/components\/schemas\/([^"/]+)(\/[^"]*)?"/g,
          (_match, target: string, rest: string | undefined) =>
            target === name && rest ? `"#${rest}"` : `"${target}.json${rest ? `#${rest}` : ''}"`,
        ),
      );
      expect(back, file).to.deep.equal(original);
    }
    // The source document refers to the files, never to copies of them.
    expect(JSON.stringify(raw)).to.include('"$ref":"schemas/services.json"');
    for (const name of Object.keys(((raw.components as Json | undefined)?.schemas as Json | undefined) ?? {})) {
      expect(
        SCHEMA_FILES.has(`${name}.json`),
        `spec/openapi-base.json defines components.schemas.${name}, a name of a schema file`,
      ).to.equal(false);
    }
  });

  it('documents every route of the GeoReport router, with exactly its methods', async () => {
    const document = await servedDocument();
    // The routes the mounted GeoReport router really has (a new route fails here until it is documented and
    // listed above). Express keeps a router's layers in `stack`; the GeoReport one is the router that serves /discovery.
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const routers = (ctx().app as unknown as { router: { stack: Layer[] } }).router.stack
      .map((layer) => layer.handle?.stack)
      .filter((stack): stack is Layer[] => Array.isArray(stack));
    const georeport = routers.find((stack) => stack.some((layer) => layer.route?.path === '/discovery'));
    expect(georeport, 'the GeoReport router').to.be.an('array');
    const routed: Record<string, string[]> = {};
    for (const layer of georeport!) {
      if (!layer.route) continue;
      const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
      if (methods.length === 0) continue; // the 405 catch-alls
      const path = `${layer.route.path.replace(/:(\w+)/g, '{$1}')}.{format}`;
      routed[path] = [...(routed[path] ?? []), ...methods].sort();
    }
    const listed = Object.fromEntries(Object.entries(ROUTES).map(([path, methods]) => [path, [...methods].sort()]));
    expect(routed).to.deep.equal(listed);

    const documented: Record<string, string[]> = {};
    for (const { path, method } of operations(document)) documented[path] = [...(documented[path] ?? []), method].sort();
    expect(documented).to.deep.equal(listed);

    // Every documented path is served, and the server's Allow matches the documented methods.
    const concrete = (path: string) =>
      `${BASE}${path.replace('{service_code}', 'POTHOLE').replace('{service_request_id}', '1').replace('{token}', 'abc').replace('{format}', 'json')}`;
    for (const [path, methods] of Object.entries(listed)) {
      const answer = await request(ctx().app).options(concrete(path));
      expect(answer.status, path).to.equal(204);
      const allow = String(answer.headers.allow)
        .split(',')
        .map((verb) => verb.trim().toLowerCase())
        .sort();
      expect(allow, path).to.deep.equal([...methods, 'head', 'options'].sort());
    }
  });

  it('documents each operation: summary, description, format parameter json|xml, and 200/4xx answers in JSON and XML', async () => {
    const document = await servedDocument();
    for (const { path, method, operation } of operations(document)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).to.be.a('string').and.not.equal('');
      expect(operation.description, where).to.be.a('string').and.not.equal('');
      const parameters = [
        ...((((document.paths as Json)[path] as Json).parameters as unknown[]) ?? []),
        ...((operation.parameters as unknown[]) ?? []),
      ].map((parameter) => deref(document, parameter));
      const format = parameters.find((parameter) => parameter.name === 'format');
      expect(format, where).to.include({ in: 'path', required: true });
      expect((format!.schema as Json).enum).to.deep.equal(['json', 'xml']);
      for (const name of (path.match(/\{(\w+)\}/g) ?? []).map((match) => match.slice(1, -1))) {
        expect(
          parameters.some((parameter) => parameter.name === name && parameter.in === 'path'),
          `${where}: path parameter ${name}`,
        ).to.equal(true);
      }
      const responses = operation.responses as Json;
      expect(responses, where).to.include.keys('200', '404', '405');
      if (method === 'post') expect(responses, where).to.include.keys('400', '403');
      for (const [status, response] of Object.entries(responses)) {
        const content = deref(document, response).content as Json | undefined;
        if (status === '304') continue;
        // 200s in both formats; an error may exist in one only (unknown extensions are answered in XML, JSONP is .json only).
        if (status === '200')
          expect(Object.keys(content ?? {}), `${where} ${status}`).to.have.members(['application/json', 'text/xml']);
        else {
          expect(Object.keys(content ?? {}), `${where} ${status}`).not.to.be.empty;
          expect(['application/json', 'text/xml'], `${where} ${status}`).to.include.members(Object.keys(content ?? {}));
        }
      }
      if (method === 'post') {
        expect((operation.requestBody as Json).content).to.include.keys(
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'application/json',
        );
        expect(operation.security).to.deep.equal([{ api_key: [] }, { bearer: [] }]);
      } else {
        expect(operation.security, `${where}: GETs need no key`).to.deep.equal([]);
      }
    }
    const schemes = (document.components as Json).securitySchemes as Json;
    expect(schemes.api_key).to.include({ type: 'apiKey', name: 'api_key' });
    expect(schemes.bearer).to.include({ type: 'http', scheme: 'bearer' });
  });

  it('every example validates against its schema: JSON with ajv on the spec/schemas files, XML well-formed and parsed to the same shape', async () => {
    const document = await servedDocument();
    const examples = documentedExamples(document);
    expect(examples.length).to.be.greaterThan(50);
    const problems: string[] = [];
    let checked = 0;
    for (const item of examples) {
      const fileId = schemaFileId(document, item.schema);
      if (item.mediaType === 'text/xml') {
        if (!isObject(item.schema) || !isXmlString(item.schema)) {
          problems.push(`${item.where}: the schema is not a text/xml string with a contentSchema`);
          continue;
        }
        if (!fileId) {
          problems.push(`${item.where}: the XML content schema is not a spec/schemas file`);
          continue;
        }
        const read = await xmlExampleShape(item.where, item.value, problems);
        if (!read) continue;
        const shape = read.shape;
        expect(rootElement(item.value as string), item.where).to.equal(XML_ROOTS[fileId]);
        const problem = validateWith(fileId, shape);
        if (problem) problems.push(`${item.where}: ${problem}`);
        // The XML example says what the JSON example says.
        const json = examples.find(
          (other) =>
            other.path === item.path &&
            other.method === item.method &&
            other.part === item.part &&
            other.mediaType === 'application/json' &&
            other.name === item.name,
        );
        if (json) expect(shape, item.where).to.deep.equal(emptyAsNull(json.value));
      } else if (item.mediaType === 'application/json' && fileId) {
        const problem = validateWith(fileId, item.value);
        if (problem) problems.push(`${item.where}: ${problem}`);
      } else {
        // Form bodies (and the JSON form of the updates POST): each field against its declared schema.
        problems.push(...formProblems(document, item.schema, item.value).map((problem) => `${item.where}: ${problem}`));
        // A create-request form, read as the server reads it, is a valid create-request-input document.
        if (item.path === '/requests.{format}' && item.mediaType !== 'application/json') {
          const problem = validateWith('create-request-input.json', coerceCreateRequest(toPairs(item.value as Json)));
          if (problem) problems.push(`${item.where} (as read by the server): ${problem}`);
        }
      }
      checked++;
    }
    expect(problems).to.deep.equal([]);
    expect(checked).to.equal(examples.length);
  });

  describe('the examples match the live server', () => {
    const key = () => ctx().apiKey;

    it('discovery: the same fields in the same order, the configured contact and key service', async () => {
      const document = await servedDocument();
      for (const format of ['json', 'xml'] as const) {
        const documented = (await parsedExample(document, '/discovery.{format}', 'get', '200', format, 'lancaster')) as Json;
        const live = await get(`${BASE}/discovery.${format}`);
        expect(live.status).to.equal(200);
        if (format === 'xml') expect(rootElement(live.text)).to.equal('discovery');
        const body = live.body as Json;
        expect(Object.keys(body)).to.deep.equal(Object.keys(documented));
        const liveEndpoint = (body.endpoints as Json[])[0]!;
        const documentedEndpoint = (documented.endpoints as Json[])[0]!;
        expect(Object.keys(liveEndpoint)).to.deep.equal(Object.keys(documentedEndpoint));
        expect(body.contact).to.equal(documented.contact);
        expect(body.key_service).to.equal(documented.key_service);
        expect(liveEndpoint.url).to.equal(`${ctx().config.publicUrl}${BASE}`);
        for (const field of ['specification', 'type', 'formats'])
          expect(liveEndpoint[field], field).to.deep.equal(documentedEndpoint[field]);
      }
    });

    it('services: the keys of a live item equal the documented item’s, and each documented service is the live one', async () => {
      const document = await servedDocument();
      for (const format of ['json', 'xml'] as const) {
        const documented = (await parsedExample(document, '/services.{format}', 'get', '200', format, 'lancaster')) as Json[];
        const live = await get(`${BASE}/services.${format}`);
        expect(live.status).to.equal(200);
        if (format === 'xml') expect(rootElement(live.text)).to.equal('services');
        const services = live.body as Json[];
        expect(Object.keys(services[0]!)).to.deep.equal(Object.keys(documented[0]!));
        for (const service of documented) {
          expect(
            services.find((item) => item.service_code === service.service_code),
            String(service.service_code),
          ).to.deep.equal(service);
        }
      }
    });

    it('service definitions: each documented definition is the live one', async () => {
      const document = await servedDocument();
      for (const format of ['json', 'xml'] as const) {
        for (const name of ['pothole', 'no_attributes']) {
          const documented = (await parsedExample(
            document,
            '/services/{service_code}.{format}',
            'get',
            '200',
            format,
            name,
          )) as Json;
          const live = await get(`${BASE}/services/${String(documented.service_code)}.${format}`);
          expect(live.status).to.equal(200);
          if (format === 'xml') expect(rootElement(live.text)).to.equal('service_definition');
          expect(live.body, `${name} (${format})`).to.deep.equal(documented);
        }
      }
    });

    it('POST requests: each documented body, in each encoding, is accepted and answered as documented; then the token, the list and the single request', async () => {
      const document = await servedDocument();
      const path = '/requests.{format}';
      let potholeId: string | undefined;
      let token: string | undefined;
      for (const mediaType of ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json']) {
        for (const name of ['pothole', 'missed_trash', 'dead_animal']) {
          for (const format of ['json', 'xml'] as const) {
            const body = { ...(example(document, path, 'post', 'request', mediaType, name) as Json), api_key: key() };
            const url = `${BASE}/requests.${format}`;
            const live =
              mediaType === 'application/json'
                ? await postJson(url, body)
                : mediaType === 'multipart/form-data'
                  ? await postMultipart(url, toPairs(body))
                  : await postForm(url, toPairs(body));
            const where = `${name} as ${mediaType} (.${format})`;
            expect(live.status, `${where}: ${live.text.slice(0, 300)}`).to.equal(200);
            if (format === 'xml') expect(rootElement(live.text)).to.equal('service_requests');
            const documented = firstItem(await parsedExample(document, path, 'post', '200', format, name));
            const created = firstItem(live.body);
            expect(Object.keys(created), where).to.deep.equal(Object.keys(documented));
            expect(created.service_notice, where).to.equal(documented.service_notice);
            expect(created.account_id, where).to.equal(documented.account_id);
            if (name === 'pothole') potholeId = created.service_request_id as string;
            if (name === 'missed_trash') token = created.token as string;
          }
        }
      }

      for (const format of ['json', 'xml'] as const) {
        const lookup = await get(`${BASE}/tokens/${token!}.${format}`);
        expect(lookup.status).to.equal(200);
        const documentedToken = firstItem(
          await parsedExample(document, '/tokens/{token}.{format}', 'get', '200', format, 'assigned'),
        );
        expect(Object.keys(firstItem(lookup.body))).to.deep.equal(Object.keys(documentedToken));

        // The documented closed pothole is what the documented POST becomes (but for id, times and status).
        const documentedRequest = firstItem(
          await parsedExample(document, '/requests/{service_request_id}.{format}', 'get', '200', format, 'closed_pothole'),
        );
        const documentedListItem = firstItem(await parsedExample(document, path, 'get', '200', format, 'two_requests'));
        for (const url of [
          `${BASE}/requests/${potholeId!}.${format}`,
          `${BASE}/requests.${format}?service_request_id=${potholeId!}`,
        ]) {
          const live = await get(url);
          expect(live.status, url).to.equal(200);
          if (format === 'xml') expect(rootElement(live.text)).to.equal('service_requests');
          const stored = firstItem(live.body);
          expect(Object.keys(stored), url).to.deep.equal(Object.keys(documentedRequest));
          expect(Object.keys(stored), url).to.deep.equal(Object.keys(documentedListItem));
          for (const field of [
            'service_name',
            'service_code',
            'description',
            'agency_responsible',
            'service_notice',
            'address',
            'address_id',
            'zipcode',
            'lat',
            'long',
            'media_url',
          ]) {
            expect(stored[field], `${url} ${field}`).to.deep.equal(documentedRequest[field]);
          }
        }
      }
    });

    it('servicerequestupdates (EXT): each documented comment is accepted as documented and shows in the feed with the documented fields', async () => {
      const document = await servedDocument();
      const path = '/servicerequestupdates.{format}';
      const target = await postForm(`${BASE}/requests.json`, [
        ['api_key', key()],
        ['service_code', 'SIDEWALK'],
        ['address_string', '219 N Broad St, Lancaster, OH 43130'],
      ]);
      expect(target.status).to.equal(200);
      const id = firstItem(target.body).service_request_id as string;
      // The client's updated_datetime is kept as the time of the update: the feed shows the comments there.
      const commentTime = (example(document, path, 'post', 'request', 'application/json', 'comment') as Json)
        .updated_datetime as string;
      const updateIds: string[] = [];
      for (const mediaType of ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json']) {
        for (const format of ['json', 'xml'] as const) {
          const body = {
            ...(example(document, path, 'post', 'request', mediaType, 'comment') as Json),
            api_key: key(),
            service_request_id: id,
            update_id: unique('fms'),
          };
          const url = `${BASE}/servicerequestupdates.${format}`;
          const live =
            mediaType === 'application/json'
              ? await postJson(url, body)
              : mediaType === 'multipart/form-data'
                ? await postMultipart(url, toPairs(body))
                : await postForm(url, toPairs(body));
          expect(live.status, `${mediaType} (.${format}): ${live.text.slice(0, 300)}`).to.equal(200);
          if (format === 'xml') expect(rootElement(live.text)).to.equal('service_request_updates');
          const documented = firstItem(await parsedExample(document, path, 'post', '200', format, 'comment'));
          expect(Object.keys(firstItem(live.body))).to.deep.equal(Object.keys(documented));
          updateIds.push(firstItem(live.body).update_id as string);
        }
      }
      for (const format of ['json', 'xml'] as const) {
        const at = encodeURIComponent(commentTime);
        const feed = await get(`${BASE}/servicerequestupdates.${format}?start_date=${at}&end_date=${at}`);
        expect(feed.status).to.equal(200);
        if (format === 'xml') expect(rootElement(feed.text)).to.equal('service_request_updates');
        const ours = (feed.body as Json[]).filter((update) => updateIds.includes(update.update_id as string));
        expect(ours).to.have.length(updateIds.length);
        const documented = firstItem(await parsedExample(document, path, 'get', '200', format, 'two_updates'));
        const comment = example(document, path, 'post', 'request', 'application/json', 'comment') as Json;
        for (const update of ours) {
          expect(Object.keys(update)).to.deep.equal(Object.keys(documented));
          expect(update.description).to.equal(comment.description);
          expect(Date.parse(update.updated_datetime as string)).to.equal(Date.parse(commentTime));
          expect(update.service_request_id).to.equal(id);
        }
      }
    });

    it('every documented error example is what the server answers to the call it describes (both formats)', async () => {
      const document = await servedDocument();
      const created = await postForm(`${BASE}/requests.json`, [
        ['api_key', key()],
        ['service_code', 'MISSED_TRASH'],
        ['address_string', '845 Lincoln Ave'],
        ['attribute[COLLECTION_TYPE][]', 'TRASH'],
      ]);
      expect(created.status).to.equal(200);
      const token = firstItem(created.body).token as string;
      const located: Array<[string, string]> = [
        ['lat', '39.71367'],
        ['long', '-82.59932'],
      ];
      const updateOf = (fields: Array<[string, string]>) =>
        [['api_key', key()], ['status', 'OPEN'], ['updated_datetime', '2024-05-08T09:20:05-04:00'], ...fields] as Array<
          [string, string]
        >;

      type Call = (format: Format) => Promise<Answer>;
      const cases: Array<{ path: string; method: string; status: string; name: string; call: Call; formats: readonly Format[] }> =
        [];
      const both = ['json', 'xml'] as const;
      const add = (path: string, method: string, status: string, name: string, call: Call, formats: readonly Format[] = both) =>
        cases.push({ path, method, status, name, call, formats });
      const getPaths: Record<string, string> = {
        '/discovery.{format}': 'discovery',
        '/services.{format}': 'services',
        '/services/{service_code}.{format}': 'services/POTHOLE',
        '/requests.{format}': 'requests',
        '/requests/{service_request_id}.{format}': `requests/${firstItem((await get(`${BASE}/tokens/${token}.json`)).body).service_request_id as string}`,
        '/tokens/{token}.{format}': `tokens/${token}`,
        '/servicerequestupdates.{format}': 'servicerequestupdates',
      };
      for (const [path, concrete] of Object.entries(getPaths)) {
        add(path, 'get', '400', 'bad_callback', (format) => get(`${BASE}/${concrete}.${format}?callback=1x`), ['json']);
        add(path, 'get', '404', 'unknown_format', () => get(`${BASE}/${concrete}.csv`), ['xml']);
        if (path !== '/discovery.{format}')
          add(path, 'get', '404', 'unknown_jurisdiction', (format) =>
            get(`${BASE}/${concrete}.${format}?jurisdiction_id=columbus.gov`),
          );
      }
      for (const path of ['/services.{format}', '/services/{service_code}.{format}', '/tokens/{token}.{format}']) {
        add(path, 'get', '400', 'long_jurisdiction_id', (format) =>
          get(`${BASE}/${getPaths[path]!}.${format}?jurisdiction_id=${'x'.repeat(101)}`),
        );
      }
      add('/services/{service_code}.{format}', 'get', '404', 'unknown_service_code', (format) =>
        get(`${BASE}/services/BRIDGE_TROLL.${format}`),
      );
      add('/requests.{format}', 'get', '400', 'bad_values', (format) =>
        get(`${BASE}/requests.${format}?status=pending&start_date=yesterday`),
      );
      add('/requests.{format}', 'get', '400', 'window_too_long', (format) =>
        get(`${BASE}/requests.${format}?start_date=2024-01-01&end_date=2024-06-30`),
      );
      add('/requests/{service_request_id}.{format}', 'get', '400', 'bad_extensions', (format) =>
        get(`${BASE}/requests/1.${format}?extensions=maybe`),
      );
      add('/requests/{service_request_id}.{format}', 'get', '404', 'unknown_id', (format) =>
        get(`${BASE}/requests/99999.${format}`),
      );
      add('/tokens/{token}.{format}', 'get', '404', 'unknown_token', (format) => get(`${BASE}/tokens/0badc0ffee.${format}`));
      add('/servicerequestupdates.{format}', 'get', '400', 'bad_date', (format) =>
        get(`${BASE}/servicerequestupdates.${format}?start_date=soon`),
      );

      const requests = (format: Format) => `${BASE}/requests.${format}`;
      add('/requests.{format}', 'post', '400', 'location_and_attribute', (format) =>
        postForm(requests(format), [
          ['api_key', key()],
          ['service_code', 'POTHOLE'],
        ]),
      );
      add('/requests.{format}', 'post', '400', 'bad_values', (format) =>
        postForm(requests(format), [
          ['api_key', key()],
          ['service_code', 'POTHOLE'],
          ['lat', '95'],
          ['long', '-82.6'],
          ['attribute[SIZE]', 'HUGE'],
        ]),
      );
      add('/requests.{format}', 'post', '400', 'missing_service_code', (format) =>
        postForm(requests(format), [['api_key', key()], ...located]),
      );
      add('/requests.{format}', 'post', '403', 'missing_key', (format) =>
        postForm(requests(format), [['service_code', 'POTHOLE'], ...located]),
      );
      add('/requests.{format}', 'post', '403', 'invalid_key', (format) =>
        postForm(requests(format), [['api_key', 'o311_not-a-key'], ['service_code', 'POTHOLE'], ...located]),
      );
      add('/requests.{format}', 'post', '404', 'unknown_service_code', (format) =>
        postForm(requests(format), [['api_key', key()], ['service_code', 'BRIDGE_TROLL'], ...located]),
      );
      add('/requests.{format}', 'post', '404', 'unknown_jurisdiction', (format) =>
        postForm(requests(format), [
          ['api_key', key()],
          ['jurisdiction_id', 'columbus.gov'],
          ['service_code', 'SIDEWALK'],
          ...located,
        ]),
      );
      add(
        '/requests.{format}',
        'post',
        '404',
        'unknown_format',
        () => postForm(`${BASE}/requests.csv`, [['api_key', key()], ['service_code', 'SIDEWALK'], ...located]),
        ['xml'],
      );
      add('/requests.{format}', 'post', '413', 'large_file', (format) =>
        postMultipart(
          requests(format),
          [['api_key', key()], ['service_code', 'SIDEWALK'], ...located],
          [
            {
              field: 'media',
              content: Buffer.alloc(ctx().config.mediaMaxBytes + 1),
              filename: 'big.jpg',
              contentType: 'image/jpeg',
            },
          ],
        ),
      );
      add('/requests.{format}', 'post', '415', 'unsupported', async (format) => {
        const response = await request(ctx().app)
          .post(requests(format))
          .set('Content-Type', 'application/xml')
          .send('<request/>');
        return {
          status: response.status,
          headers: response.headers as Record<string, string>,
          text: response.text,
          body: format === 'json' ? JSON.parse(response.text) : await xmlToJsonShape(response.text),
        };
      });

      const updates = (format: Format) => `${BASE}/servicerequestupdates.${format}`;
      add('/servicerequestupdates.{format}', 'post', '400', 'missing', (format) =>
        postForm(updates(format), [
          ['api_key', key()],
          ['service_request_id', '1'],
          ['status', 'BOGUS'],
          ['updated_datetime', '2024-05-08T09:20:05-04:00'],
        ]),
      );
      add('/servicerequestupdates.{format}', 'post', '403', 'missing_key', (format) =>
        postForm(updates(format), [
          ['service_request_id', '1'],
          ['update_id', unique('u')],
        ]),
      );
      add('/servicerequestupdates.{format}', 'post', '404', 'unknown_request', (format) =>
        postForm(
          updates(format),
          updateOf([
            ['service_request_id', '99999'],
            ['update_id', unique('u')],
          ]),
        ),
      );
      add(
        '/servicerequestupdates.{format}',
        'post',
        '404',
        'unknown_format',
        () =>
          postForm(
            `${BASE}/servicerequestupdates.csv`,
            updateOf([
              ['service_request_id', '1'],
              ['update_id', unique('u')],
            ]),
          ),
        ['xml'],
      );
      add('/servicerequestupdates.{format}', 'post', '413', 'large_file', (format) =>
        postMultipart(
          updates(format),
          updateOf([
            ['service_request_id', '1'],
            ['update_id', unique('u')],
          ]),
          [
            {
              field: 'media',
              content: Buffer.alloc(ctx().config.mediaMaxBytes + 1),
              filename: 'big.jpg',
              contentType: 'image/jpeg',
            },
          ],
        ),
      );
      add('/servicerequestupdates.{format}', 'post', '415', 'unsupported', async (format) => {
        const response = await request(ctx().app).post(updates(format)).set('Content-Type', 'application/xml').send('<update/>');
        return {
          status: response.status,
          headers: response.headers as Record<string, string>,
          text: response.text,
          body: format === 'json' ? JSON.parse(response.text) : await xmlToJsonShape(response.text),
        };
      });

      // Every documented error example of an operation, in each format it is documented in, is one of the
      // calls above (the shared 405 is checked below; the 500 cannot be provoked).
      const formatOf = (mediaType: string): Format => (mediaType === 'application/json' ? 'json' : 'xml');
      const documented = documentedExamples(document).filter(
        (item) => Number(item.part) >= 400 && item.part !== '405' && item.part !== '500',
      );
      const covered = (item: DocumentedExample) =>
        cases.some(
          (entry) =>
            entry.path === item.path &&
            entry.method === item.method &&
            entry.status === item.part &&
            entry.name === item.name &&
            entry.formats.includes(formatOf(item.mediaType)),
        );
      expect(documented.filter((item) => !covered(item)).map((item) => item.where)).to.deep.equal([]);

      for (const entry of cases) {
        for (const format of entry.formats) {
          const where = `${entry.method.toUpperCase()} ${entry.path} ${entry.status} "${entry.name}" (${format})`;
          const live = await entry.call(format);
          expect(live.status, `${where}: ${live.text.slice(0, 300)}`).to.equal(Number(entry.status));
          if (format === 'xml') expect(rootElement(live.text), where).to.equal('errors');
          // parsedExample throws when the example is not documented in this format
          expect(live.body, where).to.deep.equal(
            await parsedExample(document, entry.path, entry.method, entry.status, format, entry.name),
          );
        }
      }
    });

    it('405: every other verb answers the documented errors document with the documented Allow', async () => {
      const document = await servedDocument();
      for (const [path, methods] of Object.entries(ROUTES)) {
        const response = deref(
          document,
          ((((document.paths as Json)[path] as Json)[methods[0]!] as Json).responses as Json)['405'],
        );
        const allow = ((response.headers as Json).Allow as Json).schema as Json;
        expect(allow.const).to.equal(
          [...methods.map((method) => method.toUpperCase()), 'HEAD']
            .sort((a, b) => ['GET', 'HEAD', 'POST'].indexOf(a) - ['GET', 'HEAD', 'POST'].indexOf(b))
            .join(', '),
        );
        const concrete = path.replace('{service_code}', 'POTHOLE').replace('{service_request_id}', '1').replace('{token}', 'abc');
        for (const format of ['json', 'xml'] as const) {
          const live = await send('DELETE', `${BASE}${concrete.replace('{format}', format)}`);
          expect(live.status, path).to.equal(405);
          expect(live.headers.allow, path).to.equal(allow.const);
          const documented = (response.content as Json)[format === 'json' ? 'application/json' : 'text/xml'] as Json;
          const value = ((documented.examples as Json).delete as Json).value;
          expect(live.body, `${path} (${format})`).to.deep.equal(
            format === 'json' ? value : await xmlToJsonShape(value as string),
          );
        }
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// The EXT answers of GET requests and GET requests/{id}: extensions=true (service-requests-extended.json)
// and .geojson (service-requests-geojson.json). OpenAPI cannot pick a response schema by a query parameter,
// and {format} is json|xml, so they are documented in the x-extensions-true and x-geojson members of those
// operations' 200 responses.

const EXTENSION_MEMBERS: Array<{ path: string; example: string }> = [
  { path: '/requests.{format}', example: 'two_requests' },
  { path: '/requests/{service_request_id}.{format}', example: 'closed_pothole' },
];

/** A Response-like member (x-extensions-true, x-geojson) of the 200 answer of a GeoReport GET. */
function extensionMember(document: Json, path: string, member: 'x-extensions-true' | 'x-geojson'): Json {
  const ok = deref(document, ((((document.paths as Json)[path] as Json).get as Json).responses as Json)['200']);
  const found = ok[member];
  expect(found, `${path} 200 ${member}`).to.be.an('object');
  return found as Json;
}

function mediaExamples(document: Json, media: Json): Array<[string, unknown]> {
  expect(media.examples, 'examples').to.be.an('object');
  return Object.entries(media.examples as Json).map(([name, item]) => [name, deref(document, item).value]);
}

const STANDARD_FIELDS = Object.keys(
  ((JSON.parse(fs.readFileSync(`${SCHEMAS_DIRECTORY}/service-requests.json`, 'utf8')) as Json).items as Json).properties as Json,
);

describe('OpenAPI: the EXT answers of GET requests (extensions=true, .geojson)', () => {
  let staffKey: string;
  const staff = () => ({ Authorization: `Bearer ${staffKey}` });
  const ids: { located: string; duplicate: string; addressOnly: string } = { located: '', duplicate: '', addressOnly: '' };

  before(async () => {
    ({ key: staffKey } = await createKey(ctx().db, unique('openapi ext staff'), 'staff'));
    const create = async (fields: Array<[string, string]>): Promise<string> => {
      const answer = await postForm(`${BASE}/requests.json`, [['api_key', ctx().apiKey], ...fields]);
      expect(answer.status, answer.text).to.equal(200);
      return firstItem(answer.body).service_request_id as string;
    };
    ids.located = await create([
      ['service_code', 'POTHOLE'],
      ['lat', '39.71367'],
      ['long', '-82.59932'],
      ['address_string', '120 E Main St'],
      ['description', 'Deep hole <by> the "crosswalk" & curb'],
      ['attribute[SIZE]', 'LARGE'],
    ]);
    ids.duplicate = await create([
      ['service_code', 'POTHOLE'],
      ['lat', '39.71369'],
      ['long', '-82.59942'],
      ['address_string', '118 E Main St'],
      ['attribute[SIZE]', 'SMALL'],
    ]);
    ids.addressOnly = await create([
      ['service_code', 'SIDEWALK'],
      ['address_string', '219 N Broad St, Lancaster, OH 43130'],
    ]);
    // Public history: an activity note on the first, the second closed as its duplicate.
    const patched = await request(ctx().app)
      .patch(`/api/v1/requests/${ids.located}`)
      .set(staff())
      .set('Content-Type', 'application/json')
      .send({ status: 'in_progress', status_notes: 'Crew scheduled.', internal_note: 'never public', version: 1 });
    expect(patched.status, patched.text).to.equal(200);
    const marked = await request(ctx().app)
      .post(`/api/v1/requests/${ids.duplicate}/duplicate-of`)
      .set(staff())
      .set('Content-Type', 'application/json')
      .send({ original: ids.located, version: 1 });
    expect(marked.status, marked.text).to.equal(200);
  });

  it('the 200 answers of GET requests and GET requests/{id} reference both schemas, with examples that validate (XML read back equal to the JSON)', async () => {
    const document = await servedDocument();
    for (const { path, example: name } of EXTENSION_MEMBERS) {
      const standard = example(document, path, 'get', '200', 'application/json', name) as Json[];
      const extended = extensionMember(document, path, 'x-extensions-true');
      expect(Object.keys(extended.content as Json)).to.have.members(['application/json', 'text/xml']);
      const json = (extended.content as Json)['application/json'] as Json;
      const xml = (extended.content as Json)['text/xml'] as Json;
      expect(schemaFileId(document, json.schema), path).to.equal('service-requests-extended.json');
      expect(schemaFileId(document, xml.schema), path).to.equal('service-requests-extended.json');
      const jsonExamples = mediaExamples(document, json);
      expect(jsonExamples.map(([key]) => key)).to.include(name);
      for (const [key, value] of jsonExamples) {
        expect(validateWith('service-requests-extended.json', value), `${path} x-extensions-true ${key}`).to.equal(undefined);
        // The same requests as the standard example, with the EXT members after the standard fields.
        const items = value as Json[];
        expect(items.map((item) => Object.fromEntries(STANDARD_FIELDS.map((field) => [field, item[field]])))).to.deep.equal(
          standard,
        );
        for (const item of items) expect(Object.keys(item)).to.deep.equal([...STANDARD_FIELDS, 'extended_attributes', 'notes']);
      }
      for (const [key, value] of mediaExamples(document, xml)) {
        expect(value, `${path} x-extensions-true text/xml ${key}`).to.be.a('string');
        expect(rootElement(value as string)).to.equal('service_requests');
        const shape = await xmlToJsonShape(value as string);
        expect(validateWith('service-requests-extended.json', shape), `${path} x-extensions-true text/xml ${key}`).to.equal(
          undefined,
        );
        const twin = jsonExamples.find(([other]) => other === key);
        expect(twin, `the JSON example ${key}`).to.not.equal(undefined);
        expect(shape).to.deep.equal(emptyAsNull(twin![1]));
      }

      const geojson = extensionMember(document, path, 'x-geojson');
      expect(Object.keys(geojson.content as Json)).to.deep.equal(['application/geo+json']);
      const geoMedia = (geojson.content as Json)['application/geo+json'] as Json;
      expect(schemaFileId(document, geoMedia.schema), path).to.equal('service-requests-geojson.json');
      for (const [key, value] of mediaExamples(document, geoMedia)) {
        expect(validateWith('service-requests-geojson.json', value), `${path} x-geojson ${key}`).to.equal(undefined);
        for (const feature of (value as Json).features as Json[]) {
          const properties = feature.properties as Json;
          expect(feature.id).to.equal(properties.service_request_id);
          expect(feature.geometry).to.deep.equal(
            properties.lat === null ? null : { type: 'Point', coordinates: [properties.long, properties.lat] },
          );
          expect(standard.map((item) => item.service_request_id)).to.include(properties.service_request_id);
        }
      }
    }
  });

  it('GET requests.{json,xml}?extensions=true and requests/{id}.{json,xml}?extensions=true validate against service-requests-extended.json, with the documented members in the documented order', async () => {
    const document = await servedDocument();
    const extendedExample = firstItem(
      mediaExamples(
        document,
        (extensionMember(document, '/requests.{format}', 'x-extensions-true').content as Json)['application/json'] as Json,
      )[0]![1],
    );
    const noteKeys = Object.keys((extendedExample.notes as Json[])[0] as Json);
    const all = `${ids.located},${ids.duplicate},${ids.addressOnly}`;
    for (const format of ['json', 'xml'] as const) {
      const urls = [
        `${BASE}/requests.${format}?extensions=true&service_request_id=${all}`,
        `${BASE}/requests/${ids.located}.${format}?extensions=true`,
        `${BASE}/requests/${ids.duplicate}.${format}?extensions=true`,
        `${BASE}/requests/${ids.addressOnly}.${format}?extensions=true`,
        // Whatever the rest of the suite stored in the last 90 days, too.
        `${BASE}/requests.${format}?extensions=true`,
      ];
      for (const url of urls) {
        const live = await get(url);
        expect(live.status, url).to.equal(200);
        if (format === 'xml') expect(rootElement(live.text), url).to.equal('service_requests');
        assertSchema('service-requests-extended.json', live.body);
        for (const item of live.body as Json[]) {
          expect(Object.keys(item), url).to.deep.equal(Object.keys(extendedExample));
          expect(Object.keys(item.extended_attributes as Json), url).to.deep.equal(
            Object.keys(extendedExample.extended_attributes as Json),
          );
          for (const note of item.notes as Json[]) expect(Object.keys(note), url).to.deep.equal(noteKeys);
        }
      }
      const list = (await get(`${BASE}/requests.${format}?extensions=true&service_request_id=${all}`)).body as Json[];
      const byId = (id: string) => list.find((item) => item.service_request_id === id)!;
      const located = byId(ids.located);
      expect(located.description).to.equal('Deep hole <by> the "crosswalk" & curb');
      expect((located.extended_attributes as Json).detailed_status).to.equal('in_progress');
      expect((located.notes as Json[]).map((note) => note.type)).to.deep.equal(['opened', 'activity']);
      expect(JSON.stringify(located)).not.to.include('never public');
      const duplicate = byId(ids.duplicate).extended_attributes as Json;
      expect(duplicate).to.include({ detailed_status: 'duplicate', duplicate: true, parent_service_request_id: ids.located });
      // Not extended without extensions=true: the standard schema still holds.
      const standard = await get(`${BASE}/requests.${format}?service_request_id=${all}`);
      assertSchema('service-requests.json', standard.body);
      expect(validateWith('service-requests-extended.json', standard.body)).to.not.equal(undefined);
    }
  });

  it('requests.geojson and requests/{id}.geojson (with and without extensions=true) validate against service-requests-geojson.json; an address-only request has a null geometry', async () => {
    const all = `${ids.located},${ids.duplicate},${ids.addressOnly}`;
    for (const url of [
      `${BASE}/requests.geojson?service_request_id=${all}`,
      `${BASE}/requests.geojson?service_request_id=${all}&extensions=true`,
      `${BASE}/requests/${ids.located}.geojson`,
      `${BASE}/requests/${ids.addressOnly}.geojson?extensions=true`,
      `${BASE}/requests.geojson`,
    ]) {
      const live = await request(ctx().app).get(url);
      expect(live.status, url).to.equal(200);
      expect(live.headers['content-type'], url).to.match(/^application\/geo\+json/);
      const body = JSON.parse(live.text) as Json;
      assertSchema('service-requests-geojson.json', body);
      const extended = url.includes('extensions=true');
      for (const feature of body.features as Json[]) {
        const properties = feature.properties as Json;
        expect(Object.keys(properties), url).to.deep.equal(
          extended ? [...STANDARD_FIELDS, 'extended_attributes', 'notes'] : STANDARD_FIELDS,
        );
        expect(feature.id).to.equal(properties.service_request_id);
        if (properties.service_request_id === ids.addressOnly) expect(feature.geometry, url).to.equal(null);
        if (properties.service_request_id === ids.located)
          expect(feature.geometry).to.deep.equal({ type: 'Point', coordinates: [-82.59932, 39.71367] });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The other APIs of this server (spec/openapi-fragments/*.json, merged in with a path-level server "/"): the
// staff API (/api/v1), the bulk export, health, metrics, media and this document.

/** The operations of the fragments: the path items with servers of their own. */
function fragmentOperations(document: Json): Array<{ path: string; method: string; operation: Json }> {
  const out: Array<{ path: string; method: string; operation: Json }> = [];
  for (const [path, item] of Object.entries(document.paths as Json)) {
    if (!isObject(item) || !('servers' in item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (isObject(operation)) out.push({ path, method, operation });
    }
  }
  return out;
}

/** A JSON pointer ("/paths/~1api~1v1~1keys/get") from its segments. */
const jsonPointerOf = (...segments: string[]): string =>
  segments.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

const DOCUMENT_ID = 'urn:open311:served-openapi-document';

/**
 * Validates values against any schema of the served document, named by its JSON pointer there: the document
 * is one schema resource for ajv, so "#/components/schemas/…" references resolve as in the document.
 */
const validators = new WeakMap<Json, (schemaPointer: string, value: unknown) => string | undefined>();

function documentValidator(document: Json): (schemaPointer: string, value: unknown) => string | undefined {
  const cached = validators.get(document);
  if (cached) return cached;
  const ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true, validateSchema: false, logger: false });
  ajv.addFormat('georeport-datetime', {
    type: 'string',
    validate: (text: string) => text.length <= 64 && parseDateTime(text, 'UTC') !== undefined,
  });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (text: string) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(text) && !Number.isNaN(Date.parse(text)),
  });
  ajv.addFormat('uri', { type: 'string', validate: (text: string) => URL.canParse(text) });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('binary', true);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validator = (schemaPointer: string, value: unknown): string | undefined => {
    const check = ajv.getSchema(`${DOCUMENT_ID}#${schemaPointer.split('/').map(encodeURIComponent).join('/')}`);
    if (!check) return `no schema at ${schemaPointer}`;
    return check(value) ? undefined : JSON.stringify(check.errors);
  };
  validators.set(document, validator);
  return validator;
}

interface FragmentExample {
  where: string;
  path: string;
  method: string;
  /** 'parameter', 'request', or the response status. */
  part: string;
  /** The media type, or "parameter <name>" / "header <name>". */
  mediaType: string;
  name: string;
  schema: unknown;
  schemaPointer: string;
  value: unknown;
}

/** The JSON pointer a Reference Object points to (undefined for anything else). */
const refTarget = (node: unknown): string | undefined =>
  isObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#/') ? node.$ref.slice(1) : undefined;

/** Every example of the fragments' operations (example or examples) with the schema it illustrates. */
function fragmentExamples(document: Json): FragmentExample[] {
  const out: FragmentExample[] = [];
  const collect = (
    base: Omit<FragmentExample, 'where' | 'name' | 'value' | 'schema' | 'schemaPointer'>,
    at: string,
    holder: Json,
  ) => {
    const add = (name: string, value: unknown) =>
      out.push({
        ...base,
        where: `${base.method.toUpperCase()} ${base.path} ${base.part} ${base.mediaType} "${name}"`,
        name,
        value,
        schema: holder.schema,
        schemaPointer: `${at}/schema`,
      });
    if ('example' in holder) add('example', holder.example);
    if (isObject(holder.examples))
      for (const [name, item] of Object.entries(holder.examples)) add(name, deref(document, item).value);
  };
  for (const { path, method, operation } of fragmentOperations(document)) {
    const at = jsonPointerOf('paths', path, method);
    ((operation.parameters as unknown[] | undefined) ?? []).forEach((parameter, index) => {
      const resolved = deref(document, parameter);
      collect(
        { path, method, part: 'parameter', mediaType: `parameter ${String(resolved.name)}` },
        refTarget(parameter) ?? `${at}/parameters/${index}`,
        resolved,
      );
    });
    const body = deref(document, operation.requestBody);
    if (isObject(body) && isObject(body.content)) {
      for (const [mediaType, media] of Object.entries(body.content))
        collect(
          { path, method, part: 'request', mediaType },
          `${at}${jsonPointerOf('requestBody', 'content', mediaType)}`,
          media as Json,
        );
    }
    for (const [status, raw] of Object.entries(operation.responses as Json)) {
      const response = deref(document, raw);
      const responseAt = refTarget(raw) ?? `${at}${jsonPointerOf('responses', status)}`;
      for (const [header, value] of Object.entries((response.headers as Json | undefined) ?? {})) {
        collect(
          { path, method, part: status, mediaType: `header ${header}` },
          refTarget(value) ?? `${responseAt}${jsonPointerOf('headers', header)}`,
          deref(document, value),
        );
      }
      for (const [mediaType, media] of Object.entries((response.content as Json | undefined) ?? {})) {
        collect({ path, method, part: status, mediaType }, `${responseAt}${jsonPointerOf('content', mediaType)}`, media as Json);
      }
    }
  }
  return out;
}

/** The value of a documented example of a fragment operation ("example" for a singular example). */
function fragmentExample(
  document: Json,
  path: string,
  method: string,
  part: string,
  mediaType: string,
  name = 'example',
): unknown {
  const found = fragmentExamples(document).find(
    (item) =>
      item.path === path && item.method === method && item.part === part && item.mediaType === mediaType && item.name === name,
  );
  if (!found) throw new Error(`no example "${name}" for ${method} ${path} ${part} ${mediaType}`);
  return found.value;
}

/** Checks a live answer body against the schema documented for that call. */
function checkDocumented(
  document: Json,
  path: string,
  method: string,
  status: string,
  body: unknown,
  mediaType = 'application/json',
): void {
  const problem = documentValidator(document)(
    `${jsonPointerOf('paths', path, method, 'responses', status, 'content', mediaType)}/schema`,
    body,
  );
  expect(problem, `${method.toUpperCase()} ${path} ${status}: ${JSON.stringify(body).slice(0, 500)}`).to.equal(undefined);
}

type RouteLayer = {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
  rawPath?: unknown;
  slash?: boolean;
};

/** The routes below a router stack: "/api/v1/requests/{}" → sorted methods (405 catch-alls left out). */
function collectRoutes(stack: RouteLayer[], prefix: string, into: Record<string, string[]>): Record<string, string[]> {
  for (const layer of stack) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods).filter((method) => method !== '_all');
      if (methods.length === 0) continue;
      const path = `${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1').replace(/:\w+/g, '{}');
      into[path] = [...new Set([...(into[path] ?? []), ...methods])].sort();
    } else if (Array.isArray(layer.handle?.stack)) {
      const mount = layer.slash || typeof layer.rawPath !== 'string' ? '' : layer.rawPath;
      collectRoutes(layer.handle.stack, `${prefix}${mount}`, into);
    }
  }
  return into;
}

/** The fields of one CSV record (RFC 4180: quoted fields may hold commas and doubled quotes). */
const csvFields = (line: string): string[] => [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((match) => match[1]!);

// A 1×1 PNG.
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('OpenAPI: the staff API, bulk export and operational endpoints (spec/openapi-fragments)', () => {
  const isStaffPath = (path: string) => path.startsWith(`${STAFF_BASE_PATH}/`);

  it('documents every route of the staff router, the bulk router, /healthz, /readyz, /metrics and /openapi.json, with exactly its methods', async () => {
    const document = await servedDocument();
    const app = (ctx().app as unknown as { router: { stack: RouteLayer[] } }).router;
    const routed = collectRoutes(app.stack, '', {});
    const inScope = (path: string) =>
      path.startsWith(`${STAFF_BASE_PATH}/`) ||
      path.startsWith(`${BULK_BASE_PATH}/`) ||
      path.startsWith(`${MAP_BASE_PATH}/`) ||
      ['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(path);
    const served = Object.fromEntries(Object.entries(routed).filter(([path]) => inScope(path)));
    expect(Object.keys(served)).to.include.members([
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
      `${BULK_BASE_PATH}/requests.csv`,
      `${MAP_BASE_PATH}/clusters.json`,
      `${MAP_BASE_PATH}/clusters.xml`,
      `${STAFF_BASE_PATH}/requests`,
      `${STAFF_BASE_PATH}/keys`,
    ]);

    const documented: Record<string, string[]> = {};
    for (const { path, method } of fragmentOperations(document)) {
      const key = path.replace(/\{[^}]+\}/g, '{}');
      documented[key] = [...(documented[key] ?? []), method].sort();
    }
    // Uploaded photos are static files (express.static), not a route; they are documented all the same.
    expect(documented).to.have.property('/media/{}').that.deep.equals(['get']);
    delete documented['/media/{}'];
    expect(documented).to.deep.equal(served);
  });

  it('each of them has a summary, tags, its security and a success answer; operationIds are unique in the document', async () => {
    const document = await servedDocument();
    const ids = new Set<string>();
    for (const path of Object.keys(document.paths as Json)) {
      for (const method of HTTP_METHODS) {
        const id = (((document.paths as Json)[path] as Json)[method] as Json | undefined)?.operationId;
        if (typeof id !== 'string') continue;
        expect(ids.has(id), `operationId ${id} is used twice`).to.equal(false);
        ids.add(id);
      }
    }
    for (const { path, method, operation } of fragmentOperations(document)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).to.be.a('string').and.not.equal('');
      expect(operation.tags, where).to.be.an('array').that.is.not.empty;
      const responses = operation.responses as Json;
      expect(
        Object.keys(responses).some((status) => /^2\d\d$/.test(status)),
        `${where}: a 2xx answer`,
      ).to.equal(true);
      for (const name of (path.match(/\{(\w+)\}/g) ?? []).map((match) => match.slice(1, -1))) {
        const parameters = ((operation.parameters as unknown[] | undefined) ?? []).map((parameter) => deref(document, parameter));
        expect(
          parameters.some((parameter) => parameter.name === name && parameter.in === 'path' && parameter.required === true),
          `${where}: path parameter ${name}`,
        ).to.equal(true);
      }
      if (isStaffPath(path)) {
        expect([[{ staffKey: [] }], [{ adminKey: [] }]], `${where} security`).to.deep.include(operation.security);
        expect(responses, where).to.include.keys('401', '403');
      } else {
        expect(operation.security, `${where}: no key`).to.deep.equal([]);
      }
    }
    const schemes = (document.components as Json).securitySchemes as Json;
    expect(schemes.staffKey).to.include({ type: 'http', scheme: 'bearer' });
    expect(schemes.adminKey).to.include({ type: 'http', scheme: 'bearer' });
    // The staff components do not collide with the schema files (the merge refuses clashes; names differ by style too).
    for (const name of Object.keys((document.components as Json).schemas as Json).filter((name) => name.startsWith('Staff'))) {
      expect(SCHEMA_FILES.has(`${name}.json`), name).to.equal(false);
    }
  });

  it('documents every parameter the staff queue and the bulk export read; the staff request components are named Staff…', async () => {
    const document = await servedDocument();
    const queryOf = (path: string) =>
      (((((document.paths as Json)[path] as Json).get as Json).parameters as unknown[]) ?? [])
        .map((parameter) => deref(document, parameter))
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name as string)
        .sort();
    const inputOf = (file: string) =>
      Object.keys((JSON.parse(fs.readFileSync(`${SCHEMAS_DIRECTORY}/${file}`, 'utf8')) as Json).properties as Json).sort();
    expect(queryOf(`${STAFF_BASE_PATH}/requests`)).to.deep.equal(inputOf('staff-queue-input.json'));
    // The bulk export reads the filters of GET requests; page, page_size and extensions change nothing there.
    expect(queryOf(`${BULK_BASE_PATH}/requests.csv`)).to.deep.equal(
      inputOf('query-requests-input.json').filter((name) => !['page', 'page_size', 'extensions'].includes(name)),
    );
    const fragment = JSON.parse(fs.readFileSync(`${FRAGMENTS_DIRECTORY}/staff-requests.json`, 'utf8')) as Json;
    const names = Object.keys((fragment.components as Json).schemas as Json);
    expect(names).to.include.members(['StaffRequestSummary', 'StaffRequest']);
    for (const name of names) expect(name, name).to.match(/^Staff[A-Z]/);
  });

  it('every documented example of the fragments validates against its schema (XML read back as its JSON shape); JSON answers all have one', async () => {
    const document = await servedDocument();
    const validate = documentValidator(document);
    const examples = fragmentExamples(document);
    const problems: string[] = [];
    for (const item of examples) {
      if (item.schema === undefined) {
        problems.push(`${item.where}: an example without a schema`);
        continue;
      }
      let value = item.value;
      let schemaPointer = item.schemaPointer;
      if (item.mediaType === 'text/xml') {
        if (!isObject(item.schema) || !isXmlString(item.schema)) {
          problems.push(`${item.where}: the schema is not a text/xml string with a contentSchema`);
          continue;
        }
        schemaPointer = `${schemaPointer}/contentSchema`;
        const read = await xmlExampleShape(item.where, value, problems);
        if (!read) continue;
        const fileId = schemaFileId(document, item.schema);
        if (!fileId || rootElement(value as string) !== XML_ROOTS[fileId])
          problems.push(`${item.where}: root <${String(rootElement(value as string))}> for ${String(fileId)}`);
        value = read.shape;
      } else if (/^text\//.test(item.mediaType) && typeof value !== 'string') {
        problems.push(`${item.where}: a text example must be a string`);
        continue;
      }
      const problem = validate(schemaPointer, value);
      if (problem) problems.push(`${item.where}: ${problem}`);
    }
    // Every JSON body (request or answer) of the fragments is illustrated.
    for (const { path, method, operation } of fragmentOperations(document)) {
      const bodies: Array<[string, Json]> = [];
      const requestBody = deref(document, operation.requestBody);
      if (isObject(requestBody)) bodies.push(['request', requestBody]);
      for (const [status, response] of Object.entries(operation.responses as Json))
        bodies.push([status, deref(document, response)]);
      for (const [part, holder] of bodies) {
        for (const mediaType of Object.keys((holder.content as Json | undefined) ?? {})) {
          if (!/json$/.test(mediaType)) continue;
          if (
            !examples.some(
              (item) => item.path === path && item.method === method && item.part === part && item.mediaType === mediaType,
            )
          ) {
            problems.push(`${method.toUpperCase()} ${path} ${part} ${mediaType}: no example`);
          }
        }
      }
    }
    expect(problems).to.deep.equal([]);
    expect(
      examples.filter(
        (item) => item.path.startsWith(`${STAFF_BASE_PATH}/requests`) || item.path.startsWith(`${STAFF_BASE_PATH}/keys`),
      ).length,
    ).to.be.greaterThan(40);
  });

  describe('the examples match the live server', () => {
    let staffKey: string;
    let adminKey: string;
    let clientKey: string;
    const as = (key: string) => ({ Authorization: `Bearer ${key}` });
    const json = { 'Content-Type': 'application/json' };

    before(async () => {
      ({ key: staffKey } = await createKey(ctx().db, unique('Streets desk'), 'staff'));
      ({ key: adminKey } = await createKey(ctx().db, unique('City IT admin'), 'admin'));
      ({ key: clientKey } = await createKey(ctx().db, unique('FixMyStreet'), 'client'));
    });

    // Somewhere in Lancaster no other test reports potholes at (so that duplicates are ours).
    const spot = { lat: 39.69 + Math.random() * 0.04, long: -82.63 + Math.random() * 0.06 };
    const createPothole = async (lat: string, long: string, extra: Array<[string, string]> = []): Promise<string> => {
      const answer = await postForm(`${BASE}/requests.json`, [
        ['api_key', ctx().apiKey],
        ['service_code', 'POTHOLE'],
        ['lat', lat],
        ['long', long],
        ['address_string', '120 E Main St, Lancaster, OH 43130'],
        ['description', 'Deep hole next to the crosswalk'],
        ['attribute[SIZE]', 'LARGE'],
        ['attribute[LANES][]', 'CURB'],
        ['attribute[LANES][]', 'BIKE'],
        ...extra,
      ]);
      expect(answer.status, answer.text).to.equal(200);
      return firstItem(answer.body).service_request_id as string;
    };

    /** A documented value with the ids of the example (e.g. 1042) replaced by the live ones. */
    const withIds = (value: unknown, ids: Record<string, string>): unknown =>
      JSON.parse(JSON.stringify(value).replace(/\b\d{4}\b/g, (id) => ids[id] ?? id));

    it('staff requests: the queue, the full view, PATCH, duplicates and duplicate-of answer with the documented schemas, fields, ETags and errors', async () => {
      const document = await servedDocument();
      const app = ctx().app;
      const base = `${STAFF_BASE_PATH}/requests`;
      const original = await createPothole(spot.lat.toFixed(6), spot.long.toFixed(6), [
        ['email', 'pat.rivera@example.com'],
        ['first_name', 'Pat'],
      ]);
      const second = await createPothole((spot.lat + 0.00002).toFixed(6), (spot.long - 0.0001).toFixed(6));
      const errorOf = (path: string, method: string, status: string, name = 'example') =>
        fragmentExample(document, path, method, status, 'application/json', name);

      // The queue.
      const queue = await request(app).get(`${base}?service_request_id=${original},${second}&page_size=2`).set(as(staffKey));
      expect(queue.status, queue.text).to.equal(200);
      checkDocumented(document, base, 'get', '200', queue.body);
      const documentedQueue = fragmentExample(document, base, 'get', '200', 'application/json') as Json;
      expect(Object.keys(queue.body)).to.deep.equal(Object.keys(documentedQueue));
      expect(queue.body).to.include({ total: 2, page: 1, page_size: 2 });
      for (const item of queue.body.requests as Json[])
        expect(Object.keys(item)).to.deep.equal(Object.keys((documentedQueue.requests as Json[])[0]!));
      expect((queue.body.requests as Json[]).find((item) => item.service_request_id === second)!.suspected_duplicate_of).to.equal(
        original,
      );
      const badQueue = await request(app).get(`${base}?status=pending&page_size=0&lat=39.7`).set(as(staffKey));
      expect([badQueue.status, badQueue.body]).to.deep.equal([400, errorOf(base, 'get', '400', 'bad_values')]);
      const foreign = await request(app).get(`${base}?jurisdiction_id=columbus.gov`).set(as(staffKey));
      expect([foreign.status, foreign.body]).to.deep.equal([404, errorOf(base, 'get', '404', 'unknown_jurisdiction')]);

      // Keys and roles.
      const noKey = await request(app).get(base);
      expect([noKey.status, noKey.body, noKey.headers['www-authenticate']]).to.deep.equal([
        401,
        errorOf(base, 'get', '401', 'no_key'),
        'Bearer',
      ]);
      const badKey = await request(app).get(base).set(as('o311_not-a-key'));
      expect([badKey.status, badKey.body]).to.deep.equal([401, errorOf(base, 'get', '401', 'invalid_key')]);
      const client = await request(app).get(base).set(as(clientKey));
      expect([client.status, client.body]).to.deep.equal([403, errorOf(base, 'get', '403')]);

      // One request in full.
      const one = `${base}/{service_request_id}`;
      const full = await request(app).get(`${base}/${original}`).set(as(staffKey));
      expect(full.status, full.text).to.equal(200);
      expect(full.headers.etag).to.equal(`"${original}-v1"`);
      checkDocumented(document, one, 'get', '200', full.body);
      const documentedFull = fragmentExample(document, one, 'get', '200', 'application/json') as Json;
      expect(Object.keys(full.body)).to.deep.equal(Object.keys(documentedFull));
      expect(Object.keys(full.body.submitter as Json)).to.deep.equal(Object.keys(documentedFull.submitter as Json));
      expect(full.body.attributes).to.deep.equal({ SIZE: ['LARGE'], LANES: ['CURB', 'BIKE'] });
      const missing = await request(app).get(`${base}/99999`).set(as(staffKey));
      expect([missing.status, missing.body]).to.deep.equal([404, errorOf(one, 'get', '404', 'unknown_id')]);

      // Changes.
      const patch = (id: string, body: unknown, headers: Record<string, string> = {}) =>
        request(app).patch(`${base}/${id}`).set(as(staffKey)).set(json).set(headers).send(JSON.stringify(body));
      const noVersion = await patch(original, { status: 'in_progress' });
      expect([noVersion.status, noVersion.body]).to.deep.equal([428, errorOf(one, 'patch', '428')]);
      for (const name of ['start_work', 'close']) {
        const body = fragmentExample(document, one, 'patch', 'request', 'application/json', name) as Json;
        const current = await request(app).get(`${base}/${original}`).set(as(staffKey));
        const { version: _version, ...change } = body;
        const changed = await patch(original, change, { 'If-Match': current.headers.etag as string });
        expect(changed.status, `${name}: ${changed.text}`).to.equal(200);
        checkDocumented(document, one, 'patch', '200', changed.body);
        expect(changed.headers.etag).to.equal(`"${original}-v${Number(current.body.version) + 1}"`);
        expect(changed.body.detailed_status).to.equal(body.status);
        expect(Object.keys(changed.body)).to.deep.equal(Object.keys(documentedFull));
        for (const entry of changed.body.history as Json[])
          expect(Object.keys(entry)).to.deep.equal(Object.keys((documentedFull.history as Json[])[0]!));
        for (const entry of changed.body.audit as Json[])
          expect(Object.keys(entry)).to.deep.equal(Object.keys((documentedFull.audit as Json[])[0]!));
      }
      const stale = await patch(original, { status: 'on_hold' }, { 'If-Match': `"${original}-v1"` });
      expect(stale.status).to.equal(412);
      expect(stale.headers.etag).to.equal(`"${original}-v3"`);
      checkDocumented(document, one, 'patch', '412', stale.body);
      expect(stale.body).to.deep.equal(withIds(errorOf(one, 'patch', '412', 'stale'), { '1042': original }));
      const malformed = await patch(original, { status: 'on_hold' }, { 'If-Match': '*' });
      expect([malformed.status, malformed.body, malformed.headers.etag]).to.deep.equal([
        412,
        errorOf(one, 'patch', '412', 'malformed'),
        undefined,
      ]);
      for (const [name, body, headers] of [
        ['bad_values', { status: 'done', priority: 1, version: 2 }, {}],
        ['duplicate', { status: 'duplicate', version: 2 }, {}],
        ['versions_differ', { version: 1 }, { 'If-Match': `"${original}-v2"` }],
      ] as Array<[string, Json, Record<string, string>]>) {
        const refused = await patch(original, body, headers);
        expect([refused.status, refused.body], name).to.deep.equal([400, errorOf(one, 'patch', '400', name)]);
      }
      const notJson = await request(app).patch(`${base}/${original}`).set(as(staffKey)).set(json).send('{"status":');
      expect([notJson.status, notJson.body]).to.deep.equal([400, errorOf(one, 'patch', '400', 'not_json')]);
      const plain = await request(app)
        .patch(`${base}/${original}`)
        .set(as(staffKey))
        .set('Content-Type', 'text/plain')
        .send('closed');
      expect([plain.status, plain.body]).to.deep.equal([415, errorOf(one, 'patch', '415')]);
      const unknown = await patch('99999', { status: 'closed', version: 1 });
      expect([unknown.status, unknown.body]).to.deep.equal([404, errorOf(one, 'patch', '404', 'unknown_id')]);

      // Duplicates. The original is closed now: reopen it so that it is a candidate again.
      const reopened = await patch(original, { status: 'acknowledged', version: 3 });
      expect(reopened.status, reopened.text).to.equal(200);
      const duplicatesPath = `${one}/duplicates`;
      const candidates = await request(app).get(`${base}/${second}/duplicates?radius=100&hours=48`).set(as(staffKey));
      expect(candidates.status, candidates.text).to.equal(200);
      checkDocumented(document, duplicatesPath, 'get', '200', candidates.body);
      const documentedCandidates = fragmentExample(document, duplicatesPath, 'get', '200', 'application/json') as Json;
      expect(Object.keys(candidates.body)).to.deep.equal(Object.keys(documentedCandidates));
      const found = (candidates.body.candidates as Json[]).find((item) => item.service_request_id === original);
      expect(found, 'the original is a candidate').to.be.an('object');
      expect(Object.keys(found!)).to.deep.equal(Object.keys((documentedCandidates.candidates as Json[])[0]!));
      for (const [name, query] of [
        ['bad_radius', 'radius=0'],
        ['bad_hours', 'hours=9000'],
      ]) {
        const refused = await request(app).get(`${base}/${second}/duplicates?${query}`).set(as(staffKey));
        expect([refused.status, refused.body], name).to.deep.equal([400, errorOf(duplicatesPath, 'get', '400', name)]);
      }

      const markPath = `${one}/duplicate-of`;
      const mark = (id: string, body: unknown, headers: Record<string, string> = {}) =>
        request(app).post(`${base}/${id}/duplicate-of`).set(as(staffKey)).set(json).set(headers).send(JSON.stringify(body));
      for (const [name, body, status] of [
        ['missing_original', { version: 1 }, 400],
        ['itself', { original: second, version: 1 }, 400],
        ['unknown_original', { original: '99999', version: 1 }, 404],
      ] as Array<[string, Json, number]>) {
        const refused = await mark(second, body);
        expect([refused.status, refused.body], name).to.deep.equal([status, errorOf(markPath, 'post', String(status), name)]);
      }
      const noVersionMark = await mark(second, { original });
      expect([noVersionMark.status, noVersionMark.body]).to.deep.equal([428, errorOf(markPath, 'post', '428')]);
      const marked = await mark(second, { original }, { 'If-Match': `"${second}-v1"` });
      expect(marked.status, marked.text).to.equal(200);
      checkDocumented(document, markPath, 'post', '200', marked.body);
      expect(marked.headers.etag).to.equal(`"${second}-v2"`);
      expect(marked.body).to.include({
        status: 'closed',
        detailed_status: 'duplicate',
        duplicate_of: original,
        status_notes: `Duplicate of request ${original}.`,
      });
      const chained = await mark(original, { original: second, version: 4 });
      expect([chained.status, chained.body]).to.deep.equal([
        400,
        withIds(errorOf(markPath, 'post', '400', 'chained'), { '1047': second, '1042': original }),
      ]);
      const staleMark = await mark(second, { original, version: 1 });
      expect(staleMark.status).to.equal(412);
      expect(staleMark.headers.etag).to.equal(`"${second}-v2"`);
      checkDocumented(document, markPath, 'post', '412', staleMark.body);
    });

    it('keys: list, create (the key shown once) and revoke answer as documented, for admin keys only', async () => {
      const document = await servedDocument();
      const app = ctx().app;
      const path = `${STAFF_BASE_PATH}/keys`;
      const staffOnly = await request(app).get(path).set(as(staffKey));
      expect([staffOnly.status, staffOnly.body]).to.deep.equal([
        403,
        fragmentExample(document, path, 'get', '403', 'application/json'),
      ]);

      const name = unique('Streets desk');
      const created = await request(app)
        .post(path)
        .set(as(adminKey))
        .set(json)
        .send(JSON.stringify({ name, role: 'staff' }));
      expect(created.status, created.text).to.equal(201);
      checkDocumented(document, path, 'post', '201', created.body);
      const documentedCreated = fragmentExample(document, path, 'post', '201', 'application/json') as Json;
      expect(Object.keys(created.body)).to.deep.equal(Object.keys(documentedCreated));
      expect(created.body).to.include({ name, role: 'staff', revoked_at: null });
      expect(String(created.body.key).startsWith(created.body.key_prefix as string)).to.equal(true);
      // The new key works at once, with its role.
      expect(
        (
          await request(app)
            .get(`${STAFF_BASE_PATH}/requests?page_size=1`)
            .set(as(created.body.key as string))
        ).status,
      ).to.equal(200);

      const listed = await request(app).get(path).set(as(adminKey));
      expect(listed.status).to.equal(200);
      checkDocumented(document, path, 'get', '200', listed.body);
      const documentedKey = ((fragmentExample(document, path, 'get', '200', 'application/json') as Json).keys as Json[])[0]!;
      const mine = (listed.body.keys as Json[]).find((key) => key.id === created.body.id)!;
      expect(Object.keys(mine)).to.deep.equal(Object.keys(documentedKey));
      expect(JSON.stringify(listed.body)).not.to.include(created.body.key as string);

      const bad = await request(app)
        .post(path)
        .set(as(adminKey))
        .set(json)
        .send(JSON.stringify({ role: 'boss' }));
      expect([bad.status, bad.body]).to.deep.equal([400, fragmentExample(document, path, 'post', '400', 'application/json')]);

      const keyPath = `${path}/{id}`;
      const revoked = await request(app)
        .delete(`${path}/${String(created.body.id)}`)
        .set(as(adminKey));
      expect([revoked.status, revoked.text]).to.deep.equal([204, '']);
      expect(
        (
          await request(app)
            .get(`${STAFF_BASE_PATH}/requests?page_size=1`)
            .set(as(created.body.key as string))
        ).status,
      ).to.equal(401);
      const again = await request(app)
        .delete(`${path}/${String(created.body.id)}`)
        .set(as(adminKey));
      expect(again.status).to.equal(404);
      checkDocumented(document, keyPath, 'delete', '404', again.body);
      expect(again.body).to.deep.equal([{ code: 404, description: `No active key with id ${String(created.body.id)}.` }]);
      const listedAfter = await request(app).get(path).set(as(adminKey));
      checkDocumented(document, path, 'get', '200', listedAfter.body);
      expect((listedAfter.body.keys as Json[]).find((key) => key.id === created.body.id)!.revoked_at).to.be.a('string');
    });

    it('bulk CSV, health, readiness, metrics, media and this document answer as documented', async () => {
      const document = await servedDocument();
      const app = ctx().app;

      // Bulk export: the documented columns, headers and errors.
      const csvPath = `${BULK_BASE_PATH}/requests.csv`;
      const documentedCsv = fragmentExample(document, csvPath, 'get', '200', 'text/csv', 'three_requests') as string;
      expect(documentedCsv.split('\r\n')[0]).to.equal(BULK_COLUMNS.join(','));
      const id = await createPothole('39.71367', '-82.59932');
      const csv = await request(app).get(`${csvPath}?service_request_id=${id}`);
      expect(csv.status).to.equal(200);
      expect(csv.headers['content-type']).to.match(/^text\/csv/);
      const documentedHeaders = (((((document.paths as Json)[csvPath] as Json).get as Json).responses as Json)['200'] as Json)
        .headers as Json;
      expect(csv.headers['content-disposition']).to.equal(
        ((documentedHeaders['Content-Disposition'] as Json).schema as Json).const,
      );
      expect(csv.headers['cache-control']).to.equal('no-store');
      const lines = csv.text.split('\r\n');
      expect(lines[0]).to.equal(documentedCsv.split('\r\n')[0]);
      expect(lines).to.have.length(3); // header, one row, the final CRLF
      expect(csvFields(lines[1]!)).to.have.length(BULK_COLUMNS.length);
      expect(csvFields(lines[1]!)[0]).to.equal(id);
      for (const [name, query] of [
        ['bad_status', 'status=pending'],
        ['reversed_window', 'start_date=2024-06-01&end_date=2024-05-01'],
      ]) {
        const refused = await get(`${csvPath}?${query}`);
        expect(refused.status, name).to.equal(400);
        expect(refused.body, name).to.deep.equal(
          await xmlToJsonShape(fragmentExample(document, csvPath, 'get', '400', 'text/xml', name) as string),
        );
      }
      const foreign = await get(`${csvPath}?jurisdiction_id=columbus.gov`);
      expect([foreign.status, foreign.body]).to.deep.equal([
        404,
        await xmlToJsonShape(fragmentExample(document, csvPath, 'get', '404', 'text/xml', 'unknown_jurisdiction') as string),
      ]);
      const posted = await send('POST', csvPath);
      expect([posted.status, posted.headers.allow, posted.body]).to.deep.equal([
        405,
        'GET, HEAD',
        await xmlToJsonShape(fragmentExample(document, csvPath, 'get', '405', 'text/xml', 'post') as string),
      ]);

      // Health and readiness.
      for (const path of ['/healthz', '/readyz']) {
        const live = await request(app).get(path);
        expect(live.status, path).to.equal(200);
        expect(live.headers['cache-control'], path).to.equal('no-store');
        checkDocumented(document, path, 'get', '200', live.body);
        expect(live.body, path).to.deep.equal(fragmentExample(document, path, 'get', '200', 'application/json'));
      }

      // Metrics: the documented families, in the Prometheus text format.
      const metrics = await request(app).get('/metrics');
      expect(metrics.status).to.equal(200);
      expect(metrics.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((match) => `${match[1]} ${match[2]}`);
      expect(families(metrics.text)).to.include.members(
        families(fragmentExample(document, '/metrics', 'get', '200', 'text/plain', 'excerpt') as string),
      );

      // Media: an uploaded photo is at the documented kind of path, with the documented headers.
      const uploaded = await postMultipart(
        `${BASE}/requests.json`,
        [
          ['api_key', ctx().apiKey],
          ['service_code', 'GRAFFITI'],
          ['lat', '39.7137'],
          ['long', '-82.5993'],
        ],
        [{ field: 'media', content: TINY_PNG, filename: 'tags.png', contentType: 'image/png' }],
      );
      expect(uploaded.status, uploaded.text).to.equal(200);
      const stored = firstItem(
        (await get(`${BASE}/requests/${firstItem(uploaded.body).service_request_id as string}.json`)).body,
      );
      const mediaPath = new URL(stored.media_url as string).pathname;
      const pathParameter = ((((document.paths as Json)['/media/{path}'] as Json).get as Json).parameters as Json[])[0]!
        .schema as Json;
      expect(mediaPath.replace(/^\/media\//, '')).to.match(new RegExp(pathParameter.pattern as string));
      const image = await request(app).get(mediaPath);
      expect(image.status).to.equal(200);
      expect(image.headers['content-type']).to.equal('image/png');
      expect(image.headers['x-content-type-options']).to.equal('nosniff');
      expect(image.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      const gone = await get('/media/2024/05/00000000-0000-0000-0000-000000000000.jpg');
      expect([gone.status, gone.body]).to.deep.equal([
        404,
        await xmlToJsonShape(fragmentExample(document, '/media/{path}', 'get', '404', 'text/xml', 'unknown_file') as string),
      ]);

      // This document.
      const served = await request(app).get('/openapi.json');
      checkDocumented(document, '/openapi.json', 'get', '200', JSON.parse(served.text));
    });
  });
});

/** Form bodies are key/value pairs of text; their examples are checked field by field (formProblems). */
const FORM_MEDIA_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

interface AnyExample {
  where: string;
  value: unknown;
  /** JSON pointer of the schema the example illustrates. */
  schemaPointer: string;
  mediaType: string | undefined;
  name: string;
}

/**
 * Every example anywhere in the document: those of media types, parameters and headers (operations,
 * callbacks, components, x- extensions alike), and the examples of Schema Objects themselves.
 */
function everyExample(document: Json): AnyExample[] {
  const out: AnyExample[] = [];
  // "schema": a Schema Object; "map": a map of them (properties, components.schemas…); "other": the rest.
  type Mode = 'schema' | 'map' | 'other';
  const add = (where: string, value: unknown, schemaPointer: string, mediaType: string | undefined, name: string) =>
    out.push({ where, value, schemaPointer, mediaType, name });
  const walk = (node: unknown, at: string[], mode: Mode): void => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, [...at, String(index)], mode);
      return;
    }
    if (!isObject(node)) return;
    const where = jsonPointerOf(...at);
    if (mode === 'schema') {
      // A Schema Object's own `examples` (an array of instances) and `example` illustrate it.
      if (Array.isArray(node.examples))
        for (const [index, value] of node.examples.entries())
          add(`${where}/examples/${index}`, value, where, undefined, String(index));
      if ('example' in node) add(`${where}/example`, node.example, where, undefined, 'example');
    } else if (mode === 'other' && 'schema' in node) {
      const mediaType = at[at.length - 2] === 'content' ? at[at.length - 1] : undefined;
      if ('example' in node) add(`${where}/example`, node.example, `${where}/schema`, mediaType, 'example');
      for (const [name, item] of Object.entries(isObject(node.examples) ? node.examples : {}))
        add(`${where}/examples/${name}`, deref(document, item).value, `${where}/schema`, mediaType, name);
    }
    for (const [key, value] of Object.entries(node)) {
      let child: Mode;
      if (mode === 'map') child = 'schema';
      else if (mode === 'schema') {
        if (['example', 'examples', 'const', 'enum', 'default'].includes(key)) continue;
        child = SCHEMA_MAP_KEYWORDS.has(key) ? 'map' : 'schema';
      } else {
        if (key === 'example' || key === 'examples') continue;
        child = key === 'schema' ? 'schema' : at.length === 1 && at[0] === 'components' && key === 'schemas' ? 'map' : 'other';
      }
      walk(value, [...at, key], child);
    }
  };
  walk(document, [], 'other');
  return out;
}

// Keywords whose members are named subschemas: there, a key such as "example" is a property name.
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

describe('OpenAPI: the whole document (spec/openapi.json, examples, CORS, the linter config)', () => {
  it('spec/openapi.json is the served document (but for its relative server): run `npm run spec` after changing a source', async () => {
    const written = fs.readFileSync(OPENAPI_DOCUMENT_PATH, 'utf8');
    expect(written === writtenOpenApiDocument(), 'spec/openapi.json is out of date: run npm run spec').to.equal(true);
    const served = await servedDocument();
    const file = JSON.parse(written) as Json;
    expect(file.servers).to.deep.equal([WRITTEN_SERVER]);
    expect({ ...file, servers: served.servers }).to.deep.equal(served);
    // The whole API: the GeoReport paths and those of every fragment.
    expect(Object.keys(file.paths as Json)).to.include.members([
      '/services.{format}',
      '/requests.{format}',
      `${STAFF_BASE_PATH}/requests`,
      `${STAFF_BASE_PATH}/services/{service_code}`,
      `${BULK_BASE_PATH}/requests.csv`,
      '/openapi.json',
    ]);
    expect(Object.keys(file.paths as Json)).to.have.length(Object.keys(served.paths as Json).length);
  });

  it('every example anywhere in it validates against its own schema (ajv); XML is parsed (xml2js) and matches its JSON twin', async () => {
    const document = await servedDocument();
    const validate = documentValidator(document);
    const examples = everyExample(document);
    const problems: string[] = [];
    let xml = 0;
    let twins = 0;
    for (const item of examples) {
      const schema = pointer(document, `#${item.schemaPointer}`);
      if (!isObject(schema)) {
        problems.push(`${item.where}: no schema`);
        continue;
      }
      if (isXmlString(schema)) {
        xml++;
        const read = await xmlExampleShape(item.where, item.value, problems);
        if (!read) continue;
        const shape = read.shape;
        const root = rootElement(item.value as string);
        const fileId = schemaFileId(document, schema);
        if (fileId && XML_ROOTS[fileId] && root !== XML_ROOTS[fileId])
          problems.push(`${item.where}: root <${String(root)}>, not <${XML_ROOTS[fileId]}>`);
        const problem = validate(`${item.schemaPointer}/contentSchema`, shape);
        if (problem) problems.push(`${item.where}: ${problem}`);
        // The JSON example of the same name in the same content map says the same thing.
        const content = pointer(document, `#${item.schemaPointer.replace(/\/text~1xml\/schema$/, '')}`);
        const jsonTwin = isObject(content) && isObject(content['application/json']) ? content['application/json'] : undefined;
        const twin =
          jsonTwin && isObject(jsonTwin.examples) && item.name in jsonTwin.examples
            ? deref(document, jsonTwin.examples[item.name]).value
            : jsonTwin && item.name === 'example' && 'example' in jsonTwin
              ? jsonTwin.example
              : undefined;
        if (twin !== undefined) {
          twins++;
          expect(shape, item.where).to.deep.equal(emptyAsNull(twin));
        }
      } else if (item.mediaType !== undefined && FORM_MEDIA_TYPES.has(item.mediaType)) {
        problems.push(...formProblems(document, schema, item.value).map((problem) => `${item.where}: ${problem}`));
      } else {
        const problem = validate(item.schemaPointer, item.value);
        if (problem) problems.push(`${item.where}: ${problem}`);
      }
    }
    expect(problems).to.deep.equal([]);
    // The walk reaches the parts the per-part tests do not: callbacks and the EXT members.
    expect(examples.length).to.be.greaterThan(550);
    expect(examples.some((item) => item.where.includes('/callbacks/'))).to.equal(true);
    expect(examples.some((item) => item.where.includes('/x-extensions-true/'))).to.equal(true);
    expect(xml).to.be.greaterThan(60);
    expect(twins, `${twins} of ${xml}`).to.be.greaterThan(45);
  });

  it('a PUT body of the catalog is its POST body with the code left out (the path names it): the same fields, by reference', async () => {
    const document = await servedDocument();
    const schemas = (document.components as Json).schemas as Json;
    for (const [replacement, file, code] of [
      ['CatalogServiceReplacement', 'catalog-service', 'service_code'],
      ['CatalogAgencyReplacement', 'catalog-agency', 'code'],
    ] as const) {
      const put = schemas[replacement] as Json;
      const post = schemas[file] as Json;
      expect(put.required, replacement).to.deep.equal((post.required as string[]).filter((name) => name !== code));
      expect(put.additionalProperties).to.equal(post.additionalProperties);
      expect(put.properties).to.deep.equal(
        Object.fromEntries(
          Object.keys(post.properties as Json).map((name) => [name, { $ref: `#/components/schemas/${file}/properties/${name}` }]),
        ),
      );
    }
    const put = (path: string) =>
      (((((document.paths as Json)[path] as Json).put as Json).requestBody as Json).content as Json)['application/json'] as Json;
    expect(put(`${STAFF_BASE_PATH}/services/{service_code}`).schema).to.deep.equal({
      $ref: '#/components/schemas/CatalogServiceReplacement',
    });
    expect(put(`${STAFF_BASE_PATH}/agencies/{code}`).schema).to.deep.equal({
      $ref: '#/components/schemas/CatalogAgencyReplacement',
    });
    // The documented rename (no code in the body) is accepted by the schema and refused by the POST schema.
    const validate = documentValidator(document);
    const rename = (put(`${STAFF_BASE_PATH}/services/{service_code}`).examples as Json).rename as Json;
    expect(validate('/components/schemas/CatalogServiceReplacement', rename.value)).to.equal(undefined);
    expect(validate('/components/schemas/catalog-service', rename.value)).to.be.a('string');
  });

  it('answers GET and the CORS preflight of /openapi.json from any origin, so hosted viewers can load it', async () => {
    const app = ctx().app;
    const got = await request(app).get('/openapi.json').set('Origin', 'https://viewer.example');
    expect(got.status).to.equal(200);
    expect(got.headers['access-control-allow-origin']).to.equal('*');
    const preflight = await request(app)
      .options('/openapi.json')
      .set('Origin', 'https://viewer.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).to.equal(204);
    expect(preflight.headers['access-control-allow-origin']).to.equal('*');
    expect(String(preflight.headers['access-control-allow-methods'])).to.match(/\bGET\b/);
    expect(preflight.text).to.equal('');
  });

  it('GET /docs is the API reference page: HTML under the strict CSP, loading Swagger UI and its initializer from /assets', async () => {
    const answer = await request(ctx().app).get('/docs');
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-type']).to.match(/^text\/html/);
    const policy = String(answer.headers['content-security-policy']);
    expect(policy).to.include("script-src 'self'").and.include("style-src 'self'").and.include("default-src 'self'");
    expect(policy).not.to.include('unsafe');
    const scripts = [...answer.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((match) => /src="([^"]+)"/.exec(match[1]!)?.[1])).to.deep.equal([
      '/assets/vendor/swagger-ui/swagger-ui-bundle.js',
      '/assets/js/docs.js',
    ]);
    expect(
      scripts.every((match) => match[2]!.trim() === ''),
      'no inline script',
    ).to.equal(true);
    expect(answer.text).not.to.match(/\sstyle=|\son[a-z]+=/i);
    expect(answer.text).to.include('data-openapi-url="/openapi.json"');
  });

  it('the linter config is committed: recommended rules, none of them turned off but the two it explains', () => {
    const config = fs.readFileSync(new URL('../redocly.yaml', import.meta.url), 'utf8');
    expect(config).to.match(/^extends:\n {2}- recommended$/m);
    const off = [...config.matchAll(/^ {2}([\w.-]+): off$/gm)].map((match) => match[1]);
    expect(off).to.deep.equal(['no-unused-components', 'operation-4xx-response']);
    expect(config).to.include('rule/operation-4xx-response:');
  });
});
