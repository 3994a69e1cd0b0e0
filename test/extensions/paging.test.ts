// EXT paging on GET requests (digest §3.1, checklist 59): page / page_size, stable order, headers only.
import { expect } from 'chai';
import { addServices, insertRequest } from '../helpers/build.js';
import { assertSchema, BASE, FORMATS, get, unique, type Answer, type Format } from '../helpers/test-server.js';
import { refusedQuery as refused } from '../helpers/queries.js';

type Row = Record<string, unknown>;

const MINUTE = 60 * 1000;
const PAGING_HEADERS = ['x-result-count', 'x-page-count', 'x-page-size', 'x-next-page-url', 'x-previous-page-url', 'link'];

async function list(format: Format, query: string): Promise<Answer> {
  const path = `${BASE}/requests.${format}?${query}`;
  const answer = await get(path);
  expect(answer.status, `${path}: ${answer.text.slice(0, 500)}`).to.equal(200);
  assertSchema('service-requests.json', answer.body);
  return answer;
}

const idsOf = (answer: Answer): string[] => (answer.body as Row[]).map((row) => row.service_request_id as string);

/** Link: <url>; rel="x", … → { x: url } */
function parseLink(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?([a-z]+)"?/.exec(part.trim());
    if (match) out[match[2]!] = match[1]!;
  }
  return out;
}

/** The page and page_size of a paging URL (relative or absolute). */
function pageOf(url: string): { page: string | null; page_size: string | null; service_code: string | null } {
  const parsed = new URL(url, 'http://placeholder');
  return {
    page: parsed.searchParams.get('page'),
    page_size: parsed.searchParams.get('page_size'),
    service_code: parsed.searchParams.get('service_code'),
  };
}

describe('EXT paging: page and page_size on GET requests (checklist 59)', () => {
  const code = unique('PAGING').toUpperCase();
  /** The expected order: requested_datetime desc, then id desc. */
  let expected: string[] = [];

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Paging test', description: 'Rows of the paging tests.', type: 'realtime' },
    ]);
    const base = Date.now() - 30 * MINUTE;
    const made: Array<{ id: string; at: number }> = [];
    // 7 rows; three share one requested_datetime so that the id decides their order.
    const offsets = [0, 1, 2, 2, 2, 5, 6];
    for (const offset of offsets) {
      const at = base + offset * MINUTE;
      made.push({ id: await insertRequest({ service_code: code, requested_datetime: new Date(at) }), at });
    }
    expected = made.sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id)).map((row) => row.id);
  });

  for (const format of FORMATS) {
    describe(format, () => {
      it('without page or page_size: the whole list, newest first then by id, and no paging headers', async () => {
        const answer = await list(format, `service_code=${code}`);
        expect(idsOf(answer)).to.deep.equal(expected);
        for (const header of PAGING_HEADERS) expect(answer.headers, header).not.to.have.property(header);
      });

      it('consecutive pages are disjoint slices of the same ordered list and together equal it', async () => {
        const pages: string[][] = [];
        for (let page = 1; page <= 3; page++)
          pages.push(idsOf(await list(format, `service_code=${code}&page=${page}&page_size=3`)));
        expect(pages.map((ids) => ids.length)).to.deep.equal([3, 3, 1]);
        expect(pages.flat()).to.deep.equal(expected);
        expect(new Set(pages.flat()).size).to.equal(expected.length);
        // The same page asked twice is the same slice (stable order, ties broken by id).
        expect(idsOf(await list(format, `service_code=${code}&page=2&page_size=3`))).to.deep.equal(pages[1]);
      });

      it('page_size=2: page 1 and page 2 are consecutive slices (checklist example)', async () => {
        const first = idsOf(await list(format, `service_code=${code}&page_size=2&page=1`));
        const second = idsOf(await list(format, `service_code=${code}&page_size=2&page=2`));
        expect(first).to.deep.equal(expected.slice(0, 2));
        expect(second).to.deep.equal(expected.slice(2, 4));
      });

      it('page_size alone means page 1; page alone uses the default size (1000)', async () => {
        const sized = await list(format, `service_code=${code}&page_size=4`);
        expect(idsOf(sized)).to.deep.equal(expected.slice(0, 4));
        expect(sized.headers['x-page-size']).to.equal('4');
        const paged = await list(format, `service_code=${code}&page=1`);
        expect(idsOf(paged)).to.deep.equal(expected);
        expect(paged.headers['x-page-size']).to.equal('1000');
        expect(paged.headers['x-result-count']).to.equal(String(expected.length));
        expect(paged.headers['x-page-count']).to.equal('1');
        expect(paged.headers).not.to.have.property('x-next-page-url');
      });

      it('the first page carries the totals, next and last links in headers only', async () => {
        const answer = await list(format, `service_code=${code}&page=1&page_size=3`);
        expect(answer.headers['x-result-count']).to.equal(String(expected.length));
        expect(answer.headers['x-page-count']).to.equal('3');
        expect(answer.headers['x-page-size']).to.equal('3');
        const next = answer.headers['x-next-page-url'];
        expect(next, 'X-Next-Page-URL').to.be.a('string');
        expect(pageOf(next!)).to.deep.equal({ page: '2', page_size: '3', service_code: code });
        const links = parseLink(answer.headers.link);
        expect(links).to.have.keys('first', 'last', 'next');
        expect(pageOf(links.first!).page).to.equal('1');
        expect(pageOf(links.last!).page).to.equal('3');
        expect(pageOf(links.next!)).to.deep.equal({ page: '2', page_size: '3', service_code: code });
        // Following the next link gives the next page.
        const followed = await get(next!.startsWith('http') ? new URL(next!).pathname + new URL(next!).search : next!);
        expect(followed.status).to.equal(200);
        expect((followed.body as Row[]).map((row) => row.service_request_id)).to.deep.equal(expected.slice(3, 6));
        // Nothing of the paging is in the body: it is the standard document (schema checked above).
        expect(answer.text).not.to.match(/result_count|page_count|page_size|next_page/i);
      });

      it('a middle page links to prev and next; the last page has prev but no next', async () => {
        const middle = await list(format, `service_code=${code}&page=2&page_size=3`);
        const middleLinks = parseLink(middle.headers.link);
        expect(middleLinks).to.have.keys('first', 'last', 'next', 'prev');
        expect(pageOf(middleLinks.prev!).page).to.equal('1');
        expect(pageOf(middleLinks.next!).page).to.equal('3');
        const last = await list(format, `service_code=${code}&page=3&page_size=3`);
        expect(idsOf(last)).to.deep.equal(expected.slice(6));
        expect(last.headers).not.to.have.property('x-next-page-url');
        const lastLinks = parseLink(last.headers.link);
        expect(lastLinks).to.have.keys('first', 'last', 'prev');
        expect(pageOf(lastLinks.prev!).page).to.equal('2');
      });

      it('past the end: 200 with an empty list', async () => {
        const answer = await list(format, `service_code=${code}&page=4&page_size=3`);
        expect(answer.body).to.deep.equal([]);
        expect(answer.headers['x-result-count']).to.equal(String(expected.length));
        const far = await list(format, `service_code=${code}&page=999&page_size=1000`);
        expect(far.body).to.deep.equal([]);
      });

      it('filters apply before paging', async () => {
        const answer = await list(
          format,
          `service_code=${code}&service_request_id=${expected.slice(0, 5).join(',')}&page=2&page_size=2`,
        );
        // service_request_id overrides the other filters; paging slices what it selects.
        expect(answer.headers['x-result-count']).to.equal('5');
        expect(idsOf(answer)).to.have.length(2);
        for (const id of idsOf(answer)) expect(expected.slice(0, 5)).to.include(id);
      });

      for (const [query, name] of [
        ['page_size=0', 'page_size'],
        ['page_size=1001', 'page_size'],
        ['page_size=abc', 'page_size'],
        ['page_size=2.5', 'page_size'],
        ['page_size=-1', 'page_size'],
        ['page=0', 'page'],
        ['page=abc', 'page'],
        ['page=-2', 'page'],
      ] as const) {
        it(`${query} → 400 naming ${name}`, async () => {
          const description = await refused(format, `${query}&service_code=${code}`);
          expect(description).to.include(name);
        });
      }

      it('page_size=1000 (the maximum) is accepted', async () => {
        const answer = await list(format, `service_code=${code}&page_size=1000`);
        expect(idsOf(answer)).to.deep.equal(expected);
      });
    });
  }
});
