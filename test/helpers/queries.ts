// Small assertions shared by the request-list tests.
import { expect } from 'chai';
import { assertSchema, BASE, get, type Format, expectErrors } from './test-server.js';

/** GET requests.{format}?query → 200, valid against the schema; the ids in answer order. */
export async function requestIds(format: Format, query: string): Promise<string[]> {
  const path = `${BASE}/requests.${format}?${query}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  assertSchema('service-requests.json', answer.body);
  return (answer.body as Array<Record<string, unknown>>).map((row) => row.service_request_id as string);
}

/** GET requests.{format}?query → 400 with an errors body; the descriptions joined. */
export async function refusedQuery(format: Format, query: string): Promise<string> {
  const path = `${BASE}/requests.${format}?${query}`;
  return expectErrors(await get(path), 400);
}

/** Child element names, in document order, of every element called `name` in raw XML. */
export function childElementNames(xml: string, name: string): string[][] {
  const result: string[][] = [];
  const stack: Array<{ name: string; children: string[] }> = [];
  for (const match of xml.replace(/<\?[\s\S]*?\?>/g, '').matchAll(/<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>/g)) {
    const [, closing, tagName, selfClosing] = match as unknown as [string, string, string, string];
    if (closing) {
      const node = stack.pop();
      if (node && node.name === name) result.push(node.children);
      continue;
    }
    stack.at(-1)?.children.push(tagName);
    if (selfClosing) {
      if (tagName === name) result.push([]);
      continue;
    }
    stack.push({ name: tagName, children: [] });
  }
  return result;
}
