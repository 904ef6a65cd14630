export const USAGE = 'usage: migrate.ts run | revert | status | generate <Name> [--timestamp <ms>]';

const COMMANDS = ['run', 'revert', 'status', 'generate'];

export class CliError extends Error {}

export interface Args {
  command: string;
  name?: string;
  timestamp?: number;
}

export function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (!command) throw new CliError(USAGE);
  if (!COMMANDS.includes(command)) throw new CliError(`unknown command "${command}"\n${USAGE}`);
  const args: Args = { command };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--timestamp' || arg.startsWith('--timestamp=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : rest[++i];
      if (!/^\d{13}$/.test(value ?? '')) {
        throw new CliError('--timestamp must be a 13-digit millisecond timestamp');
      }
      args.timestamp = Number(value);
    } else if (!args.name) {
      args.name = arg;
    } else {
      throw new CliError(`unexpected argument "${arg}"\n${USAGE}`);
    }
  }
  if (command === 'generate' && !/^[A-Za-z][A-Za-z0-9]*$/.test(args.name ?? '')) {
    throw new CliError(
      'generate needs a migration name in PascalCase letters and digits, e.g. AddUsers',
    );
  }
  return args;
}
