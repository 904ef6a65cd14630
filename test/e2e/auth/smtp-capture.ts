import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

/** Undoes quoted-printable (nodemailer's choice for long text lines) so links read as sent. */
export function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parse(raw: string, from: string, to: string[]): CapturedMail {
  const split = raw.indexOf('\r\n\r\n');
  const headerText = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of headerText.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  let body = raw.slice(split + 4);
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  if (encoding === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (encoding === 'base64')
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return {
    from,
    to,
    subject: headers.get('subject') ?? '',
    text: body.replace(/\r\n/g, '\n'),
    raw,
  };
}

/**
 * A real SMTP server on 127.0.0.1 (random port) that keeps every message, for tests that must prove mail
 * actually left through nodemailer. `next(to)` waits for the next message to that address (no sleeps).
 */
export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  private waiters: Array<{ to: string; resolve: (m: CapturedMail) => void }> = [];
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = parse(
          Buffer.concat(chunks).toString('latin1'),
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
        );
        this.deliver(mail);
        callback();
      });
    },
  });
  private consumed = new Set<CapturedMail>();

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.server.address() as AddressInfo;
    return `smtp://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(mail: CapturedMail): void {
    this.messages.push(mail);
    const i = this.waiters.findIndex((w) => mail.to.includes(w.to));
    if (i >= 0) {
      this.consumed.add(mail);
      this.waiters.splice(i, 1)[0].resolve(mail);
    }
  }

  /** The next not-yet-read message to `to`: already received, or the one that arrives next. */
  next(to: string, timeoutMs = 5000): Promise<CapturedMail> {
    const addr = to.toLowerCase();
    const ready = this.messages.find((m) => !this.consumed.has(m) && m.to.includes(addr));
    if (ready) {
      this.consumed.add(ready);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no mail to ${addr} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        to: addr,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

/** The one-time token in a link such as `https://app/verify-email#token=…`. */
export function tokenFromMail(mail: CapturedMail): string {
  const m = /#token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m) throw new Error(`no token link in mail "${mail.subject}"`);
  return m[1];
}
