import { Logger } from '@nestjs/common';
import type { Mailer, MailMessage } from './mailer';

// Development only (production requires SMTP_URL): logs the one-time link to click.
export class LoggingMailer implements Mailer {
  private readonly logger = new Logger('Mail');

  async send(message: MailMessage): Promise<void> {
    // `body`, not `text`/`token`, so redaction leaves the link readable.
    this.logger.log(
      { to: message.to, subject: message.subject, body: message.text },
      'mail not sent (no SMTP_URL): logged instead',
    );
  }
}
