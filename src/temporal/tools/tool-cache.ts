// Shared helpers for obtaining the Temporal CLI and the time-skipping test server:
// where the cache lives, logging with timings, atomic installs and PATH look-ups.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Log = (message: string) => void;

export interface ToolOptions {
  /** Receives one human-readable line per step; defaults to stderr with a `[tools]` prefix. */
  log?: Log;
}

/** Repository root: this file lives in <root>/src/temporal/tools. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Prefix of build directories inside the cache; they are renamed into place when complete. */
const TEMP_DIR_PREFIX = '.building-';

/** A build directory older than this was left by a killed process and can be removed. */
const STALE_TEMP_DIR_AGE_MS = 24 * 60 * 60 * 1000;

/** Terminal colour/style escape sequences. */
// eslint-disable-next-line no-control-regex -- matching the ESC control character is the point here.
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

export const defaultLog: Log = (message) => console.error(`[tools] ${message}`);

export function resolveLog(options?: ToolOptions): Log {
  return options?.log ?? defaultLog;
}

/** One cache folder for all tools: $BECKON_TOOLS_DIR, else <repo root>/.tools. */
export function toolsCacheDir(): string {
  const fromEnv = process.env.BECKON_TOOLS_DIR;
  return fromEnv && fromEnv.trim() !== '' ? path.resolve(fromEnv) : path.join(REPO_ROOT, '.tools');
}

export function secondsSince(startMs: number): string {
  return `${((Date.now() - startMs) / 1000).toFixed(1)}s`;
}

export function isExecutableFile(filePath: string): boolean {
  try {
    if (!fs.statSync(filePath).isFile()) return false;
    fs.accessSync(filePath, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the absolute path of the first executable named `command` on PATH, or undefined. */
export function findOnPath(command: string): string | undefined {
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of pathDirs) {
    const candidate = path.resolve(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Creates a fresh build directory inside `parentDir` (same filesystem, so rename is atomic). */
export function makeBuildDir(parentDir: string, label: string): string {
  fs.mkdirSync(parentDir, { recursive: true });
  removeStaleBuildDirs(parentDir);
  return fs.mkdtempSync(path.join(parentDir, `${TEMP_DIR_PREFIX}${label}-`));
}

/** Removes build directories left behind by processes that were killed mid-build long ago. */
function removeStaleBuildDirs(parentDir: string): void {
  for (const entry of fs.readdirSync(parentDir)) {
    if (!entry.startsWith(TEMP_DIR_PREFIX)) continue;
    const entryPath = path.join(parentDir, entry);
    try {
      if (Date.now() - fs.statSync(entryPath).mtimeMs > STALE_TEMP_DIR_AGE_MS) {
        fs.rmSync(entryPath, { recursive: true, force: true });
      }
    } catch {
      // Another process may be removing it at the same moment; nothing to do.
    }
  }
}

/** Logs `still <doing>` every `intervalMs` while `work` runs, so a long silent build does not look hung. */
export async function withProgress<T>(log: Log, doing: string, work: () => Promise<T>, intervalMs = 30_000): Promise<T> {
  const startMs = Date.now();
  const timer = setInterval(() => log(`still ${doing} (${secondsSince(startMs)})...`), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function removeDir(dirPath: string): void {
  fs.rmSync(dirPath, { recursive: true, force: true });
}

/**
 * Moves a finished build directory to its final place with one rename.
 * If another process got there first, its copy is kept and ours is discarded.
 */
export function installAtomically(buildDir: string, finalDir: string): void {
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  // mkdtemp makes the folder private (0700); the installed tool should be usable like any other folder.
  fs.chmodSync(buildDir, 0o755);
  try {
    fs.renameSync(buildDir, finalDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // rename(2) refuses to replace a non-empty directory: a concurrent run already installed it.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(finalDir)) {
      removeDir(buildDir);
      return;
    }
    throw error;
  }
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  log: Log;
  /** Put before each forwarded output line, e.g. `go: `. */
  linePrefix: string;
  /** Lines to keep out of the log (still kept for the error report), e.g. go's one line per downloaded module. */
  quiet?: RegExp;
}

/** Runs a command, forwarding each output line to the log; rejects with the tail of the output on failure. */
export function runStreaming(command: string, args: string[], options: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const recentLines: string[] = [];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (stream: NodeJS.ReadableStream): void => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) emitLine(line);
      });
      stream.on('end', () => {
        if (pending !== '') emitLine(pending);
      });
    };
    const emitLine = (line: string): void => {
      // Maven colours its output even in batch mode; the escape codes are noise in a log.
      const trimmed = line.replace(ANSI_ESCAPE, '').trimEnd();
      if (trimmed === '') return;
      recentLines.push(trimmed);
      if (recentLines.length > 20) recentLines.shift();
      if (!options.quiet?.test(trimmed)) options.log(`${options.linePrefix}${trimmed}`);
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      if (exitCode === 0) {
        resolve();
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
      const tail = recentLines.length > 0 ? `\n${recentLines.join('\n')}` : '';
      reject(new Error(`${command} ${args.join(' ')} ${how}${tail}`));
    });
  });
}

/** Runs a short command and returns its stdout; used for version checks. */
export function runCapture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      if (exitCode === 0) resolve(output.trim());
      else reject(new Error(`${command} ${args.join(' ')} exited with code ${exitCode}: ${output.trim()}`));
    });
  });
}

/** The newest executable file under `dir` (recursively) whose name starts with `namePrefix`. */
export function findNewestExecutable(dir: string, namePrefix: string): string | undefined {
  let newest: { filePath: string; mtimeMs: number } | undefined;
  const visit = (current: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const entryPath = path.join(current, entry.name);
      if (entry.isDirectory()) {
        visit(entryPath);
      } else if (entry.name.startsWith(namePrefix) && isExecutableFile(entryPath)) {
        const mtimeMs = fs.statSync(entryPath).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { filePath: entryPath, mtimeMs };
      }
    }
  };
  visit(dir);
  return newest?.filePath;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
