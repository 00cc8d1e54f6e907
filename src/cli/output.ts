/** Where a command writes: the result to stdout (JSON with --json), progress and errors to stderr. */
export interface Output {
  json: boolean;
  /** The command's result: JSON with --json, else the human text. */
  result(value: unknown, human: () => string): void;
  /** A progress line on stderr (not with --json, so scripts read clean stdout and stderr). */
  progress(line: string): void;
  error(message: string): void;
}

export function createOutput(json: boolean, streams: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Output {
  return {
    json,
    result(value, human) {
      streams.out.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
    },
    progress(line) {
      if (!json) streams.err.write(`${line}\n`);
    },
    error(message) {
      streams.err.write(json ? `${JSON.stringify({ error: message })}\n` : `beckon: ${message}\n`);
    },
  };
}

/** Rows as aligned columns, for human output. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = [columns, ...rows.map((row) => columns.map((column) => formatCell(row[column])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** "[#####.....] 512/1000" */
export function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
