// The published API description: spec/openapi.json, served self-contained at GET /openapi.json. It must be
// complete (every GeoReport route, with its methods), self-contained (no reference outside itself), and
// true: every example validates against the spec/schemas files the server validates with, and matches what
// the live server answers for the same call.
import fs from 'node:fs';
import { expect } from 'chai';
import request from 'supertest';
import { OPENAPI_PATH } from '../src/http/openapi.js';
import { coerceCreateRequest } from '../src/validate/coerce.js';
import { schemaRegistry, SCHEMAS_DIRECTORY } from '../src/validate/validate.js';
import { BASE, ctx, get, postForm, postJson, postMultipart, send, unique, xmlToJsonShape, type Answer } from './helpers/test-server.js';

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
 * a reference into a spec/schemas file; references to other components are followed.
 */
function schemaFileId(document: Json, schema: unknown): string | undefined {
  if (!isObject(schema)) return undefined;
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
    for (const [pattern, value] of Object.entries(node.patternProperties)) into.patterns.push([new RegExp(pattern, 'u'), value as Json]);
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
        out.push({ where: `${method.toUpperCase()} ${path} ${part} ${mediaType} "${name}"`, path, method, part, mediaType, name, schema, value });
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
  const found = documentedExamples(document).find((item) => item.path === path && item.method === method && item.part === part && item.mediaType === mediaType && item.name === name);
  if (!found) throw new Error(`no example "${name}" for ${method} ${path} ${part} ${mediaType}`);
  return found.value;
}

const rootElement = (xml: string): string | undefined => /^<\?xml[^>]*\?>\s*<([A-Za-z_][\w.-]*)/.exec(xml)?.[1];

async function parsedExample(document: Json, path: string, method: string, part: string, format: Format, name: string): Promise<unknown> {
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
    const raw = JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8')) as Json;
    for (const file of SCHEMA_FILES) {
      const name = file.slice(0, -'.json'.length);
      const published = schemas[name] as Json;
      expect(published, `components.schemas.${name}`).to.be.an('object');
      expect(published).not.to.have.any.keys('$id', '$schema');
      const { $id: _id, $schema: _schema, ...original } = JSON.parse(fs.readFileSync(`${SCHEMAS_DIRECTORY}/${file}`, 'utf8')) as Json;
      // Equal once the rewritten references are turned back into file names.
      const back = JSON.parse(
        JSON.stringify(published).replace(/"#\/components\/schemas\/([^"/]+)(\/[^"]*)?"/g, (_match, target: string, rest: string | undefined) =>
          target === name && rest ? `"#${rest}"` : `"${target}.json${rest ? `#${rest}` : ''}"`,
        ),
      );
      expect(back, file).to.deep.equal(original);
    }
    // The source document refers to the files, never to copies of them.
    expect(JSON.stringify(raw)).to.include('"$ref":"schemas/services.json"');
    for (const name of Object.keys(((raw.components as Json | undefined)?.schemas as Json | undefined) ?? {})) {
      expect(SCHEMA_FILES.has(`${name}.json`), `spec/openapi.json defines components.schemas.${name}, a name of a schema file`).to.equal(false);
    }
  });

  it('documents every route of the GeoReport router, with exactly its methods', async () => {
    const document = await servedDocument();
    // The routes the mounted GeoReport router really has (a new route fails here until it is documented and
    // listed above). Express keeps a router's layers in `stack`; the GeoReport one is the router that serves /discovery.
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const routers = ((ctx().app as unknown as { router: { stack: Layer[] } }).router.stack)
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
    const concrete = (path: string) => `${BASE}${path.replace('{service_code}', 'POTHOLE').replace('{service_request_id}', '1').replace('{token}', 'abc').replace('{format}', 'json')}`;
    for (const [path, methods] of Object.entries(listed)) {
      const answer = await request(ctx().app).options(concrete(path));
      expect(answer.status, path).to.equal(204);
      const allow = String(answer.headers.allow).split(',').map((verb) => verb.trim().toLowerCase()).sort();
      expect(allow, path).to.deep.equal([...methods, 'head', 'options'].sort());
    }
  });

  it('documents each operation: summary, description, format parameter json|xml, and 200/4xx answers in JSON and XML', async () => {
    const document = await servedDocument();
    for (const { path, method, operation } of operations(document)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).to.be.a('string').and.not.equal('');
      expect(operation.description, where).to.be.a('string').and.not.equal('');
      const parameters = [...(((document.paths as Json)[path] as Json).parameters as unknown[] ?? []), ...((operation.parameters as unknown[]) ?? [])].map((parameter) => deref(document, parameter));
      const format = parameters.find((parameter) => parameter.name === 'format');
      expect(format, where).to.include({ in: 'path', required: true });
      expect((format!.schema as Json).enum).to.deep.equal(['json', 'xml']);
      for (const name of (path.match(/\{(\w+)\}/g) ?? []).map((match) => match.slice(1, -1))) {
        expect(parameters.some((parameter) => parameter.name === name && parameter.in === 'path'), `${where}: path parameter ${name}`).to.equal(true);
      }
      const responses = operation.responses as Json;
      expect(responses, where).to.include.keys('200', '404', '405');
      if (method === 'post') expect(responses, where).to.include.keys('400', '403');
      for (const [status, response] of Object.entries(responses)) {
        const content = deref(document, response).content as Json | undefined;
        if (status === '304') continue;
        // 200s in both formats; an error may exist in one only (unknown extensions are answered in XML, JSONP is .json only).
        if (status === '200') expect(Object.keys(content ?? {}), `${where} ${status}`).to.have.members(['application/json', 'text/xml']);
        else {
          expect(Object.keys(content ?? {}), `${where} ${status}`).not.to.be.empty;
          expect(['application/json', 'text/xml'], `${where} ${status}`).to.include.members(Object.keys(content ?? {}));
        }
      }
      if (method === 'post') {
        expect((operation.requestBody as Json).content).to.include.keys('application/x-www-form-urlencoded', 'multipart/form-data', 'application/json');
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
        if (typeof item.value !== 'string' || !item.value.startsWith(`${XML_DECLARATION}\n`)) {
          problems.push(`${item.where}: not a string starting with the XML declaration`);
          continue;
        }
        if (!fileId) {
          problems.push(`${item.where}: the XML schema is not a spec/schemas file`);
          continue;
        }
        expect(rootElement(item.value), item.where).to.equal(XML_ROOTS[fileId]);
        let shape: unknown;
        try {
          shape = await xmlToJsonShape(item.value);
        } catch (error) {
          problems.push(`${item.where}: not well-formed (${String(error)})`);
          continue;
        }
        const problem = validateWith(fileId, shape);
        if (problem) problems.push(`${item.where}: ${problem}`);
        // The XML example says what the JSON example says.
        const json = examples.find((other) => other.path === item.path && other.method === item.method && other.part === item.part && other.mediaType === 'application/json' && other.name === item.name);
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
        for (const field of ['specification', 'type', 'formats']) expect(liveEndpoint[field], field).to.deep.equal(documentedEndpoint[field]);
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
          expect(services.find((item) => item.service_code === service.service_code), String(service.service_code)).to.deep.equal(service);
        }
      }
    });

    it('service definitions: each documented definition is the live one', async () => {
      const document = await servedDocument();
      for (const format of ['json', 'xml'] as const) {
        for (const name of ['pothole', 'no_attributes']) {
          const documented = (await parsedExample(document, '/services/{service_code}.{format}', 'get', '200', format, name)) as Json;
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
        const documentedToken = firstItem(await parsedExample(document, '/tokens/{token}.{format}', 'get', '200', format, 'assigned'));
        expect(Object.keys(firstItem(lookup.body))).to.deep.equal(Object.keys(documentedToken));

        // The documented closed pothole is what the documented POST becomes (but for id, times and status).
        const documentedRequest = firstItem(await parsedExample(document, '/requests/{service_request_id}.{format}', 'get', '200', format, 'closed_pothole'));
        const documentedListItem = firstItem(await parsedExample(document, path, 'get', '200', format, 'two_requests'));
        for (const url of [`${BASE}/requests/${potholeId!}.${format}`, `${BASE}/requests.${format}?service_request_id=${potholeId!}`]) {
          const live = await get(url);
          expect(live.status, url).to.equal(200);
          if (format === 'xml') expect(rootElement(live.text)).to.equal('service_requests');
          const stored = firstItem(live.body);
          expect(Object.keys(stored), url).to.deep.equal(Object.keys(documentedRequest));
          expect(Object.keys(stored), url).to.deep.equal(Object.keys(documentedListItem));
          for (const field of ['service_name', 'service_code', 'description', 'agency_responsible', 'service_notice', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url']) {
            expect(stored[field], `${url} ${field}`).to.deep.equal(documentedRequest[field]);
          }
        }
      }
    });

    it('servicerequestupdates (EXT): each documented comment is accepted as documented and shows in the feed with the documented fields', async () => {
      const document = await servedDocument();
      const path = '/servicerequestupdates.{format}';
      const target = await postForm(`${BASE}/requests.json`, [['api_key', key()], ['service_code', 'SIDEWALK'], ['address_string', '219 N Broad St, Lancaster, OH 43130']]);
      expect(target.status).to.equal(200);
      const id = firstItem(target.body).service_request_id as string;
      const since = new Date(Date.now() - 60_000).toISOString();
      const updateIds: string[] = [];
      for (const mediaType of ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json']) {
        for (const format of ['json', 'xml'] as const) {
          const body = { ...(example(document, path, 'post', 'request', mediaType, 'comment') as Json), api_key: key(), service_request_id: id, update_id: unique('fms') };
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
        const feed = await get(`${BASE}/servicerequestupdates.${format}?start_date=${since}`);
        expect(feed.status).to.equal(200);
        if (format === 'xml') expect(rootElement(feed.text)).to.equal('service_request_updates');
        const ours = (feed.body as Json[]).filter((update) => updateIds.includes(update.update_id as string));
        expect(ours).to.have.length(updateIds.length);
        const documented = firstItem(await parsedExample(document, path, 'get', '200', format, 'two_updates'));
        const comment = example(document, path, 'post', 'request', 'application/json', 'comment') as Json;
        for (const update of ours) {
          expect(Object.keys(update)).to.deep.equal(Object.keys(documented));
          expect(update.description).to.equal(comment.description);
          expect(update.service_request_id).to.equal(id);
        }
      }
    });

    it('every documented error example is what the server answers to the call it describes (both formats)', async () => {
      const document = await servedDocument();
      const created = await postForm(`${BASE}/requests.json`, [['api_key', key()], ['service_code', 'MISSED_TRASH'], ['address_string', '845 Lincoln Ave'], ['attribute[COLLECTION_TYPE][]', 'TRASH']]);
      expect(created.status).to.equal(200);
      const token = firstItem(created.body).token as string;
      const located: Array<[string, string]> = [['lat', '39.71367'], ['long', '-82.59932']];
      const updateOf = (fields: Array<[string, string]>) => [['api_key', key()], ['status', 'OPEN'], ['updated_datetime', '2024-05-08T09:20:05-04:00'], ...fields] as Array<[string, string]>;

      type Call = (format: Format) => Promise<Answer>;
      const cases: Array<{ path: string; method: string; status: string; name: string; call: Call; formats: readonly Format[] }> = [];
      const both = ['json', 'xml'] as const;
      const add = (path: string, method: string, status: string, name: string, call: Call, formats: readonly Format[] = both) => cases.push({ path, method, status, name, call, formats });
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
        if (path !== '/discovery.{format}') add(path, 'get', '404', 'unknown_jurisdiction', (format) => get(`${BASE}/${concrete}.${format}?jurisdiction_id=columbus.gov`));
      }
      for (const path of ['/services.{format}', '/services/{service_code}.{format}', '/tokens/{token}.{format}']) {
        add(path, 'get', '400', 'long_jurisdiction_id', (format) => get(`${BASE}/${getPaths[path]!}.${format}?jurisdiction_id=${'x'.repeat(101)}`));
      }
      add('/services/{service_code}.{format}', 'get', '404', 'unknown_service_code', (format) => get(`${BASE}/services/BRIDGE_TROLL.${format}`));
      add('/requests.{format}', 'get', '400', 'bad_values', (format) => get(`${BASE}/requests.${format}?status=pending&start_date=yesterday`));
      add('/requests.{format}', 'get', '400', 'window_too_long', (format) => get(`${BASE}/requests.${format}?start_date=2024-01-01&end_date=2024-06-30`));
      add('/requests/{service_request_id}.{format}', 'get', '400', 'bad_extensions', (format) => get(`${BASE}/requests/1.${format}?extensions=maybe`));
      add('/requests/{service_request_id}.{format}', 'get', '404', 'unknown_id', (format) => get(`${BASE}/requests/99999.${format}`));
      add('/tokens/{token}.{format}', 'get', '404', 'unknown_token', (format) => get(`${BASE}/tokens/0badc0ffee.${format}`));
      add('/servicerequestupdates.{format}', 'get', '400', 'bad_date', (format) => get(`${BASE}/servicerequestupdates.${format}?start_date=soon`));

      const requests = (format: Format) => `${BASE}/requests.${format}`;
      add('/requests.{format}', 'post', '400', 'location_and_attribute', (format) => postForm(requests(format), [['api_key', key()], ['service_code', 'POTHOLE']]));
      add('/requests.{format}', 'post', '400', 'bad_values', (format) => postForm(requests(format), [['api_key', key()], ['service_code', 'POTHOLE'], ['lat', '95'], ['long', '-82.6'], ['attribute[SIZE]', 'HUGE']]));
      add('/requests.{format}', 'post', '400', 'missing_service_code', (format) => postForm(requests(format), [['api_key', key()], ...located]));
      add('/requests.{format}', 'post', '403', 'missing_key', (format) => postForm(requests(format), [['service_code', 'POTHOLE'], ...located]));
      add('/requests.{format}', 'post', '403', 'invalid_key', (format) => postForm(requests(format), [['api_key', 'o311_not-a-key'], ['service_code', 'POTHOLE'], ...located]));
      add('/requests.{format}', 'post', '404', 'unknown_service_code', (format) => postForm(requests(format), [['api_key', key()], ['service_code', 'BRIDGE_TROLL'], ...located]));
      add('/requests.{format}', 'post', '404', 'unknown_jurisdiction', (format) => postForm(requests(format), [['api_key', key()], ['jurisdiction_id', 'columbus.gov'], ['service_code', 'SIDEWALK'], ...located]));
      add('/requests.{format}', 'post', '404', 'unknown_format', () => postForm(`${BASE}/requests.csv`, [['api_key', key()], ['service_code', 'SIDEWALK'], ...located]), ['xml']);
      add('/requests.{format}', 'post', '413', 'large_file', (format) =>
        postMultipart(requests(format), [['api_key', key()], ['service_code', 'SIDEWALK'], ...located], [{ field: 'media', content: Buffer.alloc(ctx().config.mediaMaxBytes + 1), filename: 'big.jpg', contentType: 'image/jpeg' }]),
      );
      add('/requests.{format}', 'post', '415', 'unsupported', async (format) => {
        const response = await request(ctx().app).post(requests(format)).set('Content-Type', 'application/xml').send('<request/>');
        return { status: response.status, headers: response.headers as Record<string, string>, text: response.text, body: format === 'json' ? JSON.parse(response.text) : await xmlToJsonShape(response.text) };
      });

      const updates = (format: Format) => `${BASE}/servicerequestupdates.${format}`;
      add('/servicerequestupdates.{format}', 'post', '400', 'missing', (format) => postForm(updates(format), [['api_key', key()], ['service_request_id', '1'], ['status', 'BOGUS'], ['updated_datetime', '2024-05-08T09:20:05-04:00']]));
      add('/servicerequestupdates.{format}', 'post', '403', 'missing_key', (format) => postForm(updates(format), [['service_request_id', '1'], ['update_id', unique('u')]]));
      add('/servicerequestupdates.{format}', 'post', '404', 'unknown_request', (format) => postForm(updates(format), updateOf([['service_request_id', '99999'], ['update_id', unique('u')]])));
      add('/servicerequestupdates.{format}', 'post', '404', 'unknown_format', () => postForm(`${BASE}/servicerequestupdates.csv`, updateOf([['service_request_id', '1'], ['update_id', unique('u')]])), ['xml']);
      add('/servicerequestupdates.{format}', 'post', '413', 'large_file', (format) =>
        postMultipart(updates(format), updateOf([['service_request_id', '1'], ['update_id', unique('u')]]), [{ field: 'media', content: Buffer.alloc(ctx().config.mediaMaxBytes + 1), filename: 'big.jpg', contentType: 'image/jpeg' }]),
      );
      add('/servicerequestupdates.{format}', 'post', '415', 'unsupported', async (format) => {
        const response = await request(ctx().app).post(updates(format)).set('Content-Type', 'application/xml').send('<update/>');
        return { status: response.status, headers: response.headers as Record<string, string>, text: response.text, body: format === 'json' ? JSON.parse(response.text) : await xmlToJsonShape(response.text) };
      });

      // Every documented error example of an operation, in each format it is documented in, is one of the
      // calls above (the shared 405 is checked below; the 500 cannot be provoked).
      const formatOf = (mediaType: string): Format => (mediaType === 'application/json' ? 'json' : 'xml');
      const documented = documentedExamples(document).filter((item) => Number(item.part) >= 400 && item.part !== '405' && item.part !== '500');
      const covered = (item: DocumentedExample) =>
        cases.some((entry) => entry.path === item.path && entry.method === item.method && entry.status === item.part && entry.name === item.name && entry.formats.includes(formatOf(item.mediaType)));
      expect(documented.filter((item) => !covered(item)).map((item) => item.where)).to.deep.equal([]);

      for (const entry of cases) {
        for (const format of entry.formats) {
          const where = `${entry.method.toUpperCase()} ${entry.path} ${entry.status} "${entry.name}" (${format})`;
          const live = await entry.call(format);
          expect(live.status, `${where}: ${live.text.slice(0, 300)}`).to.equal(Number(entry.status));
          if (format === 'xml') expect(rootElement(live.text), where).to.equal('errors');
          // parsedExample throws when the example is not documented in this format
          expect(live.body, where).to.deep.equal(await parsedExample(document, entry.path, entry.method, entry.status, format, entry.name));
        }
      }
    });

    it('405: every other verb answers the documented errors document with the documented Allow', async () => {
      const document = await servedDocument();
      for (const [path, methods] of Object.entries(ROUTES)) {
        const response = deref(document, ((((document.paths as Json)[path] as Json)[methods[0]!] as Json).responses as Json)['405']);
        const allow = ((response.headers as Json).Allow as Json).schema as Json;
        expect(allow.const).to.equal([...methods.map((method) => method.toUpperCase()), 'HEAD'].sort((a, b) => ['GET', 'HEAD', 'POST'].indexOf(a) - ['GET', 'HEAD', 'POST'].indexOf(b)).join(', '));
        const concrete = path.replace('{service_code}', 'POTHOLE').replace('{service_request_id}', '1').replace('{token}', 'abc');
        for (const format of ['json', 'xml'] as const) {
          const live = await send('DELETE', `${BASE}${concrete.replace('{format}', format)}`);
          expect(live.status, path).to.equal(405);
          expect(live.headers.allow, path).to.equal(allow.const);
          const documented = (response.content as Json)[format === 'json' ? 'application/json' : 'text/xml'] as Json;
          const value = ((documented.examples as Json).delete as Json).value;
          expect(live.body, `${path} (${format})`).to.deep.equal(format === 'json' ? value : await xmlToJsonShape(value as string));
        }
      }
    });
  });
});
