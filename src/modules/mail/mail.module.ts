import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config';
import { APP_CONFIG } from '../../config';
import { LoggingMailer } from './logging.mailer';
import { MAILER } from './mailer';
import type { Mailer } from './mailer';
import { SmtpMailer } from './smtp.mailer';

export function createMailer(config: AppConfig): Mailer {
  return config.mail.smtpUrl
    ? new SmtpMailer(config.mail.smtpUrl, config.mail.from)
    : new LoggingMailer();
}

@Injectable()
class MailerLifecycle implements OnApplicationShutdown {
  constructor(@Inject(MAILER) private readonly mailer: Mailer) {}

  onApplicationShutdown(): void {
    if (this.mailer instanceof SmtpMailer) this.mailer.close();
  }
}

@Global()
@Module({
  providers: [{ provide: MAILER, inject: [APP_CONFIG], useFactory: createMailer }, MailerLifecycle],
  exports: [MAILER],
})
export class MailModule {}
