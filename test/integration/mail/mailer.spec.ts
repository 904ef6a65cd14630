import { Logger } from '@nestjs/common';
import { loadConfig } from '../../../src/config';
import { LoggingMailer } from '../../../src/modules/mail/logging.mailer';
import { createMailer, MailModule } from '../../../src/modules/mail/mail.module';
import { Mailer, MAILER } from '../../../src/modules/mail/mailer';
import { SmtpMailer } from '../../../src/modules/mail/smtp.mailer';
import { useTestModule } from '../../harness';
import { SmtpCapture } from '../../e2e/auth/smtp-capture';

describe('MailModule with SMTP_URL (real SMTP server on 127.0.0.1)', () => {
  const smtp = new SmtpCapture();
  const env: Record<string, string> = { MAIL_FROM: 'Dashtam Test <test@dashtam.local>' };
  beforeAll(async () => {
    env.SMTP_URL = await smtp.start();
  });
  afterAll(() => smtp.stop());
  const m = useTestModule({ imports: [MailModule], env });

  it('sends through nodemailer to the SMTP server', async () => {
    const mailer = m.get<Mailer>(MAILER);
    expect(mailer).toBeInstanceOf(SmtpMailer);
    await mailer.send({
      to: 'someone@example.test',
      subject: 'Hello',
      text: `A long line with a link https://app.example/x#token=${'a'.repeat(60)}`,
    });
    const mail = await smtp.next('someone@example.test');
    expect(mail.subject).toBe('Hello');
    expect(mail.from).toBe('test@dashtam.local');
    expect(mail.text).toContain(`#token=${'a'.repeat(60)}`);
  });
});

describe('createMailer', () => {
  it('logs instead of sending when SMTP_URL is unset, and never throws', async () => {
    const mailer = createMailer(loadConfig({}));
    expect(mailer).toBeInstanceOf(LoggingMailer);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await mailer.send({ to: 'a@b.co', subject: 'S', text: 'link: https://x/y#token=abc' });
    expect(log).toHaveBeenCalledWith(
      expect.objectContaining({
        to: 'a@b.co',
        subject: 'S',
        body: expect.stringContaining('#token=abc'),
      }),
      expect.any(String),
    );
    log.mockRestore();
  });

  it('picks SMTP when SMTP_URL is set', () => {
    const mailer = createMailer(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }));
    expect(mailer).toBeInstanceOf(SmtpMailer);
    (mailer as SmtpMailer).close();
  });
});
