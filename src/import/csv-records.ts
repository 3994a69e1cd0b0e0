// The records of a CSV file (RFC 4180: comma-separated, fields quoted with " and "" inside), read from a
// stream a chunk at a time, each with the line it ends on. Written for the importer's hot path: csv-parse
// spent about as much CPU per row as mapping and writing it together. Records may have any number of fields;
// empty lines are skipped; a byte-order mark is dropped; \n, \r\n and \r all end a line.
import { StringDecoder } from 'node:string_decoder';

export interface CsvRecord {
  fields: string[];
  /** The line (from 1) the record ends on: a quoted field may hold line breaks. */
  line: number;
}

/** A file that is not CSV at some point: what is wrong, and on which line. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const COMMA = 44;
const QUOTE = 34;
const NEWLINE = 10;
const RETURN = 13;

/**
 * Yields the records of `input` in groups (one per chunk read: fewer awaits per row). A record longer than
 * `maxRecordSize` characters, a quote inside an unquoted field, text after a closing quote and a quote left
 * open at the end are refused.
 */
export async function* csvRecords(
  input: AsyncIterable<Buffer | string>,
  options: { maxRecordSize: number },
): AsyncGenerator<CsvRecord[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 1;
  let first = true;
  for await (const chunk of input) {
    let text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const parsed = parseRecords(text, line, false, options.maxRecordSize);
    pending = text.slice(parsed.consumed);
    line = parsed.line;
    // A record that never ends would otherwise be held (and scanned again) whole.
    if (pending.length > options.maxRecordSize) {
      throw new CsvSyntaxError(line, `a record is longer than ${options.maxRecordSize} characters`);
    }
    if (parsed.records.length > 0) yield parsed.records;
  }
  const text = pending + decoder.end();
  const parsed = parseRecords(first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line, true, options.maxRecordSize);
  if (parsed.records.length > 0) yield parsed.records;
}

/**
 * The complete records at the start of `text` (all of them when `atEnd`), how many characters they took,
 * and the line the next record starts on. A record cut by the end of a chunk is left for the next.
 */
function parseRecords(
  text: string,
  startLine: number,
  atEnd: boolean,
  maxRecordSize: number,
): { records: CsvRecord[]; consumed: number; line: number } {
  const records: CsvRecord[] = [];
  const length = text.length;
  let position = 0;
  let line = startLine;
  let consumed = 0;
  let consumedLine = startLine;
  let fields: string[] = [];
  scanning: while (position < length || (atEnd && fields.length > 0)) {
    if (position - consumed > maxRecordSize) {
      throw new CsvSyntaxError(line, `a record is longer than ${maxRecordSize} characters`);
    }
    if (position >= length) {
      // The last field of a file that does not end with a line break, after a comma.
      fields.push('');
      records.push({ fields, line });
      fields = [];
      consumed = position;
      consumedLine = line;
      break;
    }
    const code = text.charCodeAt(position);
    if (fields.length === 0 && (code === NEWLINE || code === RETURN)) {
      // An empty line: skipped.
      const next = lineBreakEnd(text, position, atEnd);
      if (next < 0) break;
      position = next;
      line += 1;
      consumed = position;
      consumedLine = line;
      continue;
    }
    let value: string;
    let end: number;
    if (code === QUOTE) {
      let parts = '';
      let from = position + 1;
      let scan = from;
      for (;;) {
        const quote = text.indexOf('"', scan);
        if (quote < 0) {
          if (atEnd) throw new CsvSyntaxError(line, 'a quoted field is not closed before the end of the file');
          break scanning;
        }
        if (quote + 1 >= length && !atEnd) break scanning;
        if (text.charCodeAt(quote + 1) === QUOTE) {
          parts += text.slice(from, quote + 1);
          from = quote + 2;
          scan = from;
          continue;
        }
        value = parts + text.slice(from, quote);
        end = quote + 1;
        break;
      }
      line += countLineBreaks(value);
      if (end < length) {
        const after = text.charCodeAt(end);
        if (after !== COMMA && after !== NEWLINE && after !== RETURN) {
          throw new CsvSyntaxError(line, 'a closing quote is followed by other text in its field');
        }
      }
    } else {
      end = position;
      while (end < length) {
        const character = text.charCodeAt(end);
        if (character === COMMA || character === NEWLINE || character === RETURN) break;
        if (character === QUOTE) throw new CsvSyntaxError(line, 'a quote in a field that does not start with one');
        end += 1;
      }
      if (end >= length && !atEnd) break;
      value = text.slice(position, end);
    }
    fields.push(value);
    if (end >= length) {
      records.push({ fields, line });
      fields = [];
      position = end;
      consumed = position;
      consumedLine = line;
      break;
    }
    const separator = text.charCodeAt(end);
    if (separator === COMMA) {
      position = end + 1;
      continue;
    }
    const next = lineBreakEnd(text, end, atEnd);
    if (next < 0) break;
    records.push({ fields, line });
    fields = [];
    position = next;
    line += 1;
    consumed = position;
    consumedLine = line;
  }
  return { records, consumed, line: consumedLine };
}

/** Where the line break at `position` ends (\r\n is one), or -1 when a \r ends the chunk (a \n may follow). */
function lineBreakEnd(text: string, position: number, atEnd: boolean): number {
  if (text.charCodeAt(position) === NEWLINE) return position + 1;
  if (position + 1 >= text.length) return atEnd ? position + 1 : -1;
  return text.charCodeAt(position + 1) === NEWLINE ? position + 2 : position + 1;
}

function countLineBreaks(value: string): number {
  let count = 0;
  for (let index = value.indexOf('\n'); index >= 0; index = value.indexOf('\n', index + 1)) count += 1;
  if (value.includes('\r')) {
    for (let index = value.indexOf('\r'); index >= 0; index = value.indexOf('\r', index + 1)) {
      if (value.charCodeAt(index + 1) !== NEWLINE) count += 1;
    }
  }
  return count;
}
