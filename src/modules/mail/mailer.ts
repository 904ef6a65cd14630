/** A message as the app composes it; transports decide how it leaves the process. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Injection token: inject with `@Inject(MAILER) mailer: Mailer`; tests override it with a capturing mailer. */
export const MAILER = Symbol('MAILER');
