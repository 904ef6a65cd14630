import type { Mailer, MailMessage } from '../../../src/modules/mail/mailer';

/** In-process mailer for specs that read mail without going through SMTP. */
export class CapturingMailer implements Mailer {
  readonly sent: MailMessage[] = [];

  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }

  to(address: string): MailMessage[] {
    return this.sent.filter((m) => m.to === address.toLowerCase());
  }

  lastTo(address: string): MailMessage {
    const all = this.to(address);
    if (!all.length) throw new Error(`no mail to ${address}`);
    return all[all.length - 1];
  }

  tokenIn(message: MailMessage): string {
    const m = /#token=([A-Za-z0-9_-]+)/.exec(message.text);
    if (!m) throw new Error(`no token in "${message.subject}"`);
    return m[1];
  }
}
