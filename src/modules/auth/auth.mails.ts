import type { MailMessage } from '../mail/mailer';

// The token travels in the URL fragment, which browsers never send to a server or put in a Referer, so it
// stays out of access logs (ASVS 14.2.1).
export const AuthMails = {
  verifyEmail(to: string, frontendUrl: string, token: string, ttlHours: number): MailMessage {
    const link = `${frontendUrl}/verify-email#token=${token}`;
    return {
      to,
      subject: 'Confirm your Dashtam email address',
      text: `Welcome to Dashtam.\n\nConfirm your email address by opening this link (valid ${ttlHours} hours):\n${link}\n\nIf you did not create an account, ignore this message.`,
    };
  },

  existingAccount(to: string, frontendUrl: string): MailMessage {
    return {
      to,
      subject: 'Someone tried to register with your email address',
      text: `Someone tried to create a Dashtam account with this email address, which already has an account.\n\nIf it was you, sign in instead, or reset your password here:\n${frontendUrl}/forgot-password\n\nIf it was not you, you can ignore this message; your account is unchanged.`,
    };
  },

  passwordReset(to: string, frontendUrl: string, token: string, ttlMinutes: number): MailMessage {
    const link = `${frontendUrl}/reset-password#token=${token}`;
    return {
      to,
      subject: 'Reset your Dashtam password',
      text: `A password reset was requested for your Dashtam account.\n\nChoose a new password here (valid ${ttlMinutes} minutes, once):\n${link}\n\nIf you did not ask for this, ignore this message; your password is unchanged.`,
    };
  },

  passwordChanged(to: string, frontendUrl: string): MailMessage {
    return {
      to,
      subject: 'Your Dashtam password was changed',
      text: `The password of your Dashtam account was just changed and your other sessions were signed out.\n\nIf this was not you, reset your password now: ${frontendUrl}/forgot-password`,
    };
  },
};
