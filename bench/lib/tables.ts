// The benchmark's tables, printed as aligned text and written as Markdown.
export interface Table {
  header: string[];
  rows: string[][];
}

export function textTable(table: Table): string {
  const widths = table.header.map((title, column) => Math.max(title.length, ...table.rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(table.header), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(line)].join('\n');
}

export function markdownTable(table: Table): string {
  const escapeCell = (cell: string): string => cell.replace(/\|/g, '\\|');
  return [
    `| ${table.header.map(escapeCell).join(' | ')} |`,
    `|${table.header.map((_, column) => (column < 2 ? '---' : '---:')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}
