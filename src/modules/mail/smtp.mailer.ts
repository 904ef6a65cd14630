import { Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import type { Mailer, MailMessage } from './mailer';

// The URL may hold a password: never log it.
export class SmtpMailer implements Mailer {
  private readonly logger = new Logger('Mail');
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = createTransport(smtpUrl);
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.transport.sendMail({ from: this.from, ...message });
    this.logger.log({ messageId: info.messageId, subject: message.subject }, 'mail sent');
  }

  close(): void {
    this.transport.close();
  }
}
