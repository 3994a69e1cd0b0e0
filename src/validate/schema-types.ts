// TypeScript types from the input schemas of spec/schemas, so that a schema change is a type change: this
// writes src/types/generated.ts (`npx tsx src/validate/schema-types.ts`), and test/unit/schema-types.test.ts
// fails when that file is not what the schemas make. It reads the subset of JSON Schema the input schemas
// use (types, enum/const, properties/required, items, additionalProperties, $ref, anyOf/oneOf); assertions
// that do not change the shape (formats, lengths, if/then, not) stay with ajv.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../project-root.js';

const SCHEMAS_DIRECTORY = path.join(PROJECT_ROOT, 'spec', 'schemas');
export const GENERATED_TYPES_FILE = path.join(PROJECT_ROOT, 'src', 'types', 'generated.ts');

/** The schemas of what clients send (bodies and queries, after coercion): each gets a named type. */
export const INPUT_SCHEMAS = [
  'common-query-input.json',
  'services-query-input.json',
  'query-requests-input.json',
  'create-request-input.json',
  'query-updates-input.json',
  'create-update-input.json',
  'catalog-service.json',
  'catalog-agency.json',
  'catalog-area.json',
  'catalog-routing.json',
  'catalog-availability.json',
  'stats-input.json',
  'stats-backlog-input.json',
  'stats-time-to-close-input.json',
  'stats-overdue-input.json',
  'stats-hotspots-input.json',
  'staff-request-patch.json',
  'staff-duplicate-input.json',
  'staff-queue-input.json',
  'staff-key-input.json',
  'staff-webhook-input.json',
  'staff-deliveries-query.json',
] as const;

type Schema = Record<string, unknown>;
const isSchema = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

const load = (file: string): Schema => JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIRECTORY, file), 'utf8')) as Schema;

/** "create-request-input.json" → "CreateRequestInput". */
export const typeNameOf = (file: string): string =>
  file
    .replace(/\.json$/, '')
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

const literal = (value: unknown): string => JSON.stringify(value);
const indent = (text: string): string => text.replace(/\n/g, '\n  ');
const propertyKey = (name: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : literal(name));

function resolve(reference: string, file: string): { schema: Schema; file: string } {
  const [target, pointer = ''] = reference.split('#');
  const inFile = target ? target : file;
  let node: unknown = load(inFile);
  for (const segment of pointer.split('/').filter((part) => part !== '')) node = (node as Schema)[segment];
  if (!isSchema(node)) throw new Error(`Unresolved $ref ${reference} in ${file}`);
  return { schema: node, file: inFile };
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.length === 0 ? 'unknown' : unique.join(' | ');
}

function typeOf(schema: Schema, file: string, depth = 0): string {
  if (depth > 20) throw new Error(`Schema nesting too deep in ${file}`);
  if (typeof schema.$ref === 'string') {
    const target = resolve(schema.$ref, file);
    return typeOf(target.schema, target.file, depth + 1);
  }
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map(literal));
  const branches = (Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : []).filter(
    isSchema,
  );
  // Branches that only require fields (a location is lat or address_string…) do not change the shape.
  const shaped = branches.filter((branch) => Object.keys(branch).some((key) => key !== 'required' && key !== 'x-message'));
  if (shaped.length > 0 && schema.type === undefined) return union(shaped.map((branch) => typeOf(branch, file, depth + 1)));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  if (types.length === 0) return 'unknown';
  return union(types.map((type) => typeOfKind(type, schema, file, depth)));
}

function typeOfKind(type: string, schema: Schema, file: string, depth: number): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = isSchema(schema.items) ? typeOf(schema.items, file, depth + 1) : 'unknown';
      return `Array<${items}>`;
    }
    case 'object':
      return objectType(schema, file, depth);
    default:
      throw new Error(`Unknown type ${type} in ${file}`);
  }
}

function objectType(schema: Schema, file: string, depth: number): string {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const lines = Object.entries(properties).map(([name, property]) => {
    const optional = required.has(name) ? '' : '?';
    return `${propertyKey(name)}${optional}: ${isSchema(property) ? typeOf(property, file, depth + 1) : 'unknown'};`;
  });
  if (isSchema(schema.additionalProperties)) {
    lines.push(`[key: string]: ${typeOf(schema.additionalProperties, file, depth + 1)};`);
  } else if (schema.additionalProperties !== false && lines.length === 0) {
    lines.push('[key: string]: unknown;');
  }
  return lines.length === 0 ? 'Record<string, never>' : `{\n  ${lines.map(indent).join('\n  ')}\n}`;
}

/** The text of src/types/generated.ts. */
export function generateTypes(): string {
  const parts = [
    '// Generated from spec/schemas by src/validate/schema-types.ts: do not edit; run `npx tsx src/validate/schema-types.ts`.',
    '// test/unit/schema-types.test.ts fails when this file is not what the schemas make.',
    '',
    'declare const validated: unique symbol;',
    '',
    '/** A checked input: only src/validate makes these, so a raw query or body cannot stand for one (type-only mark). */',
    'export type Validated<T> = T & { readonly [validated]: true };',
    '',
  ];
  for (const file of INPUT_SCHEMAS) {
    const schema = load(file);
    if (typeof schema.title === 'string') parts.push(`/** ${schema.title.replace(/\*\//g, '*\\/')} (spec/schemas/${file}) */`);
    parts.push(`export type ${typeNameOf(file)} = Validated<${typeOf(schema, file)}>;`, '');
  }
  parts.push('/** The type of a valid input, by schema. */', 'export interface SchemaTypes {');
  for (const file of INPUT_SCHEMAS) parts.push(`  ${literal(file)}: ${typeNameOf(file)};`);
  parts.push('}', '');
  return parts.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  fs.mkdirSync(path.dirname(GENERATED_TYPES_FILE), { recursive: true });
  fs.writeFileSync(GENERATED_TYPES_FILE, generateTypes());
  console.log(`wrote ${path.relative(PROJECT_ROOT, GENERATED_TYPES_FILE)}`);
}
