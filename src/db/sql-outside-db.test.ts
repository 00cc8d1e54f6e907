import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..');
/** Statements as repositories write them; a word such as "select" in prose does not match (upper case, followed by what a statement has). */
const SQL = /\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the layout', () => {
  it('keeps SQL text in src/db: everything else calls a repository', () => {
    const outside = sourceFiles(SRC)
      .filter((file) => !relative(SRC, file).startsWith(`db/`))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ where: `src/${relative(SRC, file)}:${index + 1}`, line }))
          .filter(({ line }) => SQL.test(line)),
      )
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(outside).toEqual([]);
  });
});
