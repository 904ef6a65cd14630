// Adding a command: docs/encryption.md § CLI.
import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { CliCommand, CliIo, commandSpecOf } from './common/cli/cli-command';
import { ClockModule } from './common/clock';
import { ConfigError, ConfigModule, loadConfig, loadEnvFile } from './config';
import { CreateAdminCommand } from './modules/auth/create-admin.command';
import { ENCRYPTION_COMMANDS } from './modules/encryption/encryption.commands';

export const COMMANDS: Array<Type<CliCommand>> = [...ENCRYPTION_COMMANDS, CreateAdminCommand];

@Module({})
export class CliModule {
  static for(command: Type<CliCommand>): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule, ClockModule, ...(commandSpecOf(command).imports ?? [])],
      providers: [command],
    };
  }
}

const INVOKE = __filename.endsWith('.js') ? 'node dist/src/cli.js' : 'npm run cli --';

export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  isTTY: !!process.stdout.isTTY,
  rewrite: (line) => void process.stdout.write(`\r\x1b[2K${line}`),
};

function help(io: CliIo): void {
  io.out(`Usage: ${INVOKE} <command> [options]\n\nCommands:`);
  for (const c of COMMANDS) {
    const spec = commandSpecOf(c);
    io.out(`  ${`${spec.name} ${spec.usage ?? ''}`.padEnd(52)} ${spec.summary}`);
  }
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    help(io);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => commandSpecOf(c).name === name);
  if (!command) {
    io.err(`Unknown command "${name}". Run "${INVOKE} help".`);
    return 2;
  }
  const spec = commandSpecOf(command);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.err(`${(err as Error).message}\nUsage: ${INVOKE} ${spec.name} ${spec.usage ?? ''}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`${spec.summary}\nUsage: ${INVOKE} ${spec.name} ${spec.usage ?? ''}`);
    return 0;
  }
  let app: INestApplicationContext | undefined;
  try {
    loadConfig(); // one clear line for a bad variable, before Nest starts
    app = await NestFactory.createApplicationContext(CliModule.for(command), {
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    const code = await app
      .get(command)
      .run({ values: parsed.values, positionals: parsed.positionals, io });
    return code ?? 0;
  } catch (err) {
    io.err(
      err instanceof ConfigError ? err.message : `${spec.name} failed: ${(err as Error).message}`,
    );
    return 1;
  } finally {
    await app?.close();
  }
}

if (require.main === module) {
  void (async () => {
    try {
      loadEnvFile();
    } catch (err) {
      processIo.err((err as Error).message);
      return 1;
    }
    return runCli(process.argv.slice(2));
  })().then((code) => {
    process.exitCode = code;
  });
}
