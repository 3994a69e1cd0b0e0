// The one ajv-to-message engine: every input checked against spec/schemas gets its problems in these words,
// each located when it sits inside a list ("attributes[2] (SIZE): …"), preferring the schema's own
// "x-message" over ajv's wording, and reported once.
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { schemaRegistry, type SchemaId } from './registry.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** The schema nodes on the way to a JSON pointer (the root excluded: its x-message is the anyOf message). */
function walk(root: AnySchemaObject, pointer: string): AnySchemaObject[] {
  const nodes: AnySchemaObject[] = [];
  let node: unknown = root;
  for (const raw of pointer.split('/').filter((segment) => segment !== '')) {
    const segment = unescapePointer(decodeURIComponent(raw));
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    if (!isObject(node)) break;
    nodes.push(node as AnySchemaObject);
  }
  return nodes;
}

/** The deepest "x-message" on the error's schema path (in the validated schema or a file it refers to). */
function messageOnPath(error: ErrorObject, root: AnySchemaObject): string | undefined {
  let schema = root;
  let pointer = error.schemaPath;
  if (pointer.startsWith('#')) {
    pointer = pointer.slice(1);
  } else {
    const slash = pointer.indexOf('/');
    const file = slash < 0 ? pointer : pointer.slice(0, slash);
    const referenced = schemaRegistry().getSchema(file.replace(/#$/, ''))?.schema;
    if (!isObject(referenced)) return undefined;
    schema = referenced as AnySchemaObject;
    pointer = slash < 0 ? '' : pointer.slice(slash + 1);
  }
  const nodes = walk(schema, pointer);
  for (let index = nodes.length - 1; index >= 0; index--) {
    const message = nodes[index]!['x-message'];
    if (typeof message === 'string') return message;
  }
  return undefined;
}

/** The x-message of the top-level property holding the problem (for errors deep inside $defs). */
function topLevelMessage(instancePath: string, root: AnySchemaObject): string | undefined {
  const property = instancePath.split('/')[1];
  const schema = property && isObject(root.properties) ? (root.properties as Json)[unescapePointer(property)] : undefined;
  return isObject(schema) && typeof schema['x-message'] === 'string' ? schema['x-message'] : undefined;
}

/** "attributes[2] (SIZE), values[0] (SMALL)": the list items (objects) on the way to the problem. */
function locate(instancePath: string, input: unknown): string {
  const segments = instancePath.split('/').slice(1).map(unescapePointer);
  const labels: string[] = [];
  let node: unknown = input;
  let previous = '';
  for (const segment of segments) {
    node = Array.isArray(node) ? node[Number(segment)] : isObject(node) ? node[segment] : undefined;
    if (/^\d+$/.test(segment) && isObject(node)) {
      const name = [node.service_code, node.code, node.key].find((value) => typeof value === 'string' && value.length <= 100);
      labels.push(`${previous}[${segment}]${name === undefined ? '' : ` (${String(name)})`}`);
    }
    previous = segment;
  }
  return labels.join(', ');
}

const dotted = (instancePath: string): string => instancePath.replace(/^\//, '').replace(/\//g, '.');

function describe(error: ErrorObject, root: AnySchemaObject, input: unknown): string | undefined {
  // Reported by the failing then/else branch, and by the anyOf error itself.
  if (error.keyword === 'if' || error.schemaPath.includes('/anyOf/')) return undefined;
  if (error.keyword === 'anyOf' && error.instancePath === '') return String(root['x-message'] ?? 'The request is incomplete.');
  const where = locate(error.instancePath, input);
  const prefix = where ? `${where}: ` : '';
  const inBranch = /\/(then|else)(\/|$)/.test(error.schemaPath);
  // A field missing from the document or from one of its list items is named; one missing deeper inside a
  // field is described by that field's own message when it has one.
  if (error.keyword === 'required' && !inBranch && (error.instancePath === '' || prefix || !messageOnPath(error, root))) {
    return `${prefix}${String(error.params.missingProperty)} is required.`;
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params.additionalProperty);
    if (prefix) return `${prefix}${field} is not a known field.`;
    const of = dotted(error.instancePath);
    return `${field} is not a known field${of ? ` of ${of}` : ''}.`;
  }
  if (error.keyword === 'dependentRequired') {
    return `${String(error.params.property)} was sent without ${String(error.params.missingProperty)}: they go together.`;
  }
  const message = messageOnPath(error, root) ?? topLevelMessage(error.instancePath, root);
  if (message) return `${prefix}${message}`;
  return `${dotted(error.instancePath) || 'the request'} ${error.message ?? 'is not valid'}.`;
}

/**
 * Every problem of `input` against a schema of spec/schemas, in words, each once; [] when valid. `ignore`
 * leaves out errors the caller knows do not count (an unchanged service of an import).
 */
export function schemaProblems(schemaId: SchemaId, input: unknown, ignore?: (error: ErrorObject) => boolean): string[] {
  const check = schemaRegistry().getSchema(schemaId);
  if (!check) throw new Error(`Unknown schema ${schemaId}`);
  if (check(input)) return [];
  const problems: string[] = [];
  for (const error of check.errors ?? []) {
    if (ignore?.(error)) continue;
    const description = describe(error, check.schema as AnySchemaObject, input);
    if (description && !problems.includes(description)) problems.push(description);
  }
  // Never "valid" by omission: an input ajv refused is refused, in general words if need be.
  return problems.length > 0 || ignore ? problems : ['The request is not valid.'];
}
