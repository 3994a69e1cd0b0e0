// The importer's CSV reader (src/import/csv-records.ts), without the store: the same records and line numbers
// as csv-parse (the reader it replaced) for quoting, line breaks inside fields, empty lines and a byte-order
// mark, whatever the chunk boundaries; malformed files refused with their line.
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { CsvSyntaxError, csvRecords } from '../../src/import/csv-records.js';

async function read(text: string, chunkSize: number, maxRecordSize = 1024 * 1024): Promise<Array<[string[], number]>> {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let start = 0; start < bytes.length; start += chunkSize) yield bytes.subarray(start, start + chunkSize);
  }
  const out: Array<[string[], number]> = [];
  for await (const group of csvRecords(chunks(), { maxRecordSize }))
    for (const record of group) out.push([record.fields, record.line]);
  return out;
}

function reference(text: string): Array<[string[], number]> {
  const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  return records.map(({ record, info }) => [record, info.lines]);
}

const SAMPLES = [
  'id,name,notes\n1,Pothole,"deep, wide"\n2,"Say ""hi""",\n',
  'a,b\n\n\n1,"multi\nline\nvalue",x\n3,,\n4,é ü 漢字,"😀"',
  'a,b,c\n1,2\n1,2,3,4\n"",""\n,\n',
  'only\n"quoted at the end"',
  'a\rb\r"c\rd"\r',
];

describe('CSV records (unit)', () => {
  for (const [index, sample] of SAMPLES.entries()) {
    it(`reads sample ${index + 1} as csv-parse does, in chunks of any size`, async () => {
      const expected = reference(sample);
      for (const chunkSize of [1, 2, 3, 7, 64, 1 << 16]) {
        expect(await read(sample, chunkSize), `chunks of ${chunkSize}`).to.deep.equal(expected);
      }
    });
  }

  it('counts a \\r\\n inside a quoted field as one line break (csv-parse counted two)', async () => {
    const sample = '\uFEFFid,description\r\n1,"two\r\nlines"\r\n\r\n2,after an empty line\r\n';
    for (const chunkSize of [1, 2, 3, 64]) {
      expect(await read(sample, chunkSize), `chunks of ${chunkSize}`).to.deep.equal([
        [['id', 'description'], 1],
        [['1', 'two\r\nlines'], 3],
        [['2', 'after an empty line'], 5],
      ]);
    }
  });

  it('refuses a malformed file with the line where it goes wrong', async () => {
    const refusal = async (text: string, maxRecordSize?: number): Promise<string> => {
      try {
        await read(text, 5, maxRecordSize);
      } catch (error) {
        expect(error).to.be.instanceOf(CsvSyntaxError);
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(await refusal('a,b\n1,x"y\n')).to.equal('line 2: a quote in a field that does not start with one');
    expect(await refusal('a,b\n1,"x"y\n')).to.equal('line 2: a closing quote is followed by other text in its field');
    expect(await refusal('a,b\n1,"open\n\n')).to.equal('line 2: a quoted field is not closed before the end of the file');
    expect(await refusal(`a\n${'x'.repeat(100)}\n`, 50)).to.match(/^line 2: a record is longer than 50 characters$/);
  });
});
