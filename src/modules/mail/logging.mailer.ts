import { Logger } from '@nestjs/common';
import type { Mailer, MailMessage } from './mailer';

/**
 * Development default: instead of sending, log the message so the developer can click the link. Messages
 * carry one-time links, never passwords. (Production refuses to start without SMTP_URL.)
 */
export class LoggingMailer implements Mailer {
  private readonly logger = new Logger('Mail');

  async send(message: MailMessage): Promise<void> {
    // `body` rather than `text`/`token`: the link must stay readable here, which is this mailer's purpose.
    this.logger.log(
      { to: message.to, subject: message.subject, body: message.text },
      'mail not sent (no SMTP_URL): logged instead',
    );
  }
}
