import { Writable } from 'node:stream';
import { createInterface } from 'node:readline/promises';
import { CliCommand, CliCommandHandler, CliContext } from '../../common/cli/cli-command';
import { DatabaseModule } from '../../database/database.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { AuthModule } from './auth.module';
import { RegistrationService } from './registration.service';

// Never from argv (shell history, `ps`): read from stdin when piped, otherwise prompted for without echo.
export async function readPassword(
  stdin: NodeJS.ReadStream = process.stdin,
  prompt = 'Password: ',
): Promise<string> {
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: stdin, output, terminal: true });
  try {
    process.stderr.write(prompt);
    muted = true;
    const answer = await rl.question('');
    process.stderr.write('\n');
    return answer;
  } finally {
    rl.close();
  }
}

@CliCommandHandler({
  name: 'users:create-admin',
  summary:
    'Create a verified administrator (or grant admin to an existing account); password from stdin or prompt',
  usage: '--email <address>',
  options: { email: { type: 'string' } },
  imports: [DatabaseModule, AuditModule, MailModule, AuthModule],
})
export class CreateAdminCommand implements CliCommand {
  passwordSource: () => Promise<string> = () => readPassword();

  constructor(private readonly registration: RegistrationService) {}

  async run({ values, io }: CliContext): Promise<number> {
    const email = typeof values.email === 'string' ? values.email.trim() : '';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      io.err('users:create-admin needs --email <address>');
      return 2;
    }
    const password = await this.passwordSource();
    const { id, created } = await this.registration.createAdmin(email, password);
    io.out(
      created
        ? `Created administrator ${email.toLowerCase()} (${id})`
        : `Granted admin to existing account ${email.toLowerCase()} (${id}); password unchanged`,
    );
    return 0;
  }
}
