import { Injectable, ModuleMetadata, Type } from '@nestjs/common';
import type { ParseArgsOptionsConfig } from 'node:util';

/** Where a command writes. Commands never use console directly, so tests can capture their output. */
export interface CliIo {
  /** A line of result output (stdout). */
  out(line: string): void;
  /** A line of diagnostics (stderr). */
  err(line: string): void;
  /** stdout is a terminal: a command may draw a progress bar with `rewrite`. */
  readonly isTTY: boolean;
  /** Replaces the current terminal line (only meaningful when isTTY). */
  rewrite(line: string): void;
}

export interface CliContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  io: CliIo;
}

export interface CliCommand {
  /** Returns the process exit code (default 0). */
  run(ctx: CliContext): Promise<number | void>;
}

export interface CliCommandSpec {
  /** `<module>:<verb>`, e.g. `encryption:rotate`. */
  name: string;
  summary: string;
  /** Argument synopsis shown by --help, e.g. `[--dry-run] [--batch-size N]`. */
  usage?: string;
  /** node:util parseArgs options (strict: unknown options are refused). */
  options?: ParseArgsOptionsConfig;
  /**
   * Nest modules the command needs besides ConfigModule and ClockModule (always present). Add
   * DatabaseModule only when it touches the database, so e.g. generating a key never opens a connection.
   */
  imports?: ModuleMetadata['imports'];
}

const SPEC = Symbol('cli-command-spec');

/** Marks a class as a CLI command (it also becomes injectable). Register it in src/cli.ts `COMMANDS`. */
export function CliCommandHandler(spec: CliCommandSpec): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, SPEC, { value: spec });
    Injectable()(target);
  };
}

export function commandSpecOf(type: Type<CliCommand>): CliCommandSpec {
  const spec = (type as unknown as Record<symbol, CliCommandSpec | undefined>)[SPEC];
  if (!spec) throw new Error(`${type.name} is not decorated with @CliCommandHandler`);
  return spec;
}

/** A text progress bar: `[########------------]  40%  4000/10000`. */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${done}/${total}`;
}
