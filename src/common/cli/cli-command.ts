import { Injectable, ModuleMetadata, Type } from '@nestjs/common';
import type { ParseArgsOptionsConfig } from 'node:util';

// Commands never use console directly, so tests can capture their output.
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readonly isTTY: boolean;
  rewrite(line: string): void;
}

export interface CliContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  io: CliIo;
}

export interface CliCommand {
  run(ctx: CliContext): Promise<number | void>;
}

export interface CliCommandSpec {
  name: string;
  summary: string;
  usage?: string;
  options?: ParseArgsOptionsConfig;
  /** DatabaseModule only if needed, so e.g. generating a key never opens a connection. */
  imports?: ModuleMetadata['imports'];
}

const SPEC = Symbol('cli-command-spec');

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

export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${done}/${total}`;
}
