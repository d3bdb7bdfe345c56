/**
 * Output for every `turbine` command: aligned tables and field blocks for people, JSON for
 * scripts (`--json`). Renderers return strings, so that they are easy to test and to combine;
 * `print` and `printJson` write them to stdout.
 */

/** A table column: its header and how to show a row's cell. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers read better right-aligned. @defaultValue `'left'` */
  align?: 'left' | 'right';
}

/** A labelled value in a block; `null` leaves a blank line (a section break). */
export type Field = readonly [label: string, value: string] | null;

const GAP = '  ';

/** Rows under upper-case headers, columns padded to their widest cell. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => clean(column.value(row))));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => (columns[i]!.align === 'right' ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join(GAP)
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `label  value` lines with the values aligned, indented by `indent` spaces. */
export function renderFields(fields: readonly Field[], indent = 0): string {
  const labels = fields.map((field) => (field ? `${clean(field[0])}:` : ''));
  const width = Math.max(0, ...labels.map((label) => label.length));
  const pad = ' '.repeat(indent);
  return fields
    .map((field, i) => (field ? `${pad}${labels[i]!.padEnd(width)}${GAP}${clean(field[1])}`.trimEnd() : ''))
    .join('\n');
}

/** A titled block: the title on its own line, the body indented under it. */
export function renderSection(title: string, body: string): string {
  return `${title}\n${body
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n')}`;
}

/** Pretty JSON, the same shape whatever the terminal: what `--json` prints. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  print(renderJson(value));
}

/** A message for people that is not the command's result (notices, prompts' outcomes). */
export function printNotice(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A value for a cell: strings as they are, anything else as compact JSON. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** `yes`/`no`, which scans faster in a column than `true`/`false`. */
export function showBoolean(value: boolean): string {
  return value ? 'yes' : 'no';
}

/**
 * Names and metadata come from users: control characters (an ANSI escape, a newline) would
 * redraw the terminal or break the alignment, so they are shown escaped.
 */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
