import { AuditModule } from '../../../src/modules/audit/audit.module';
import { AccountService } from '../../../src/modules/auth/account.service';
import { AuthModule } from '../../../src/modules/auth/auth.module';
import { MailModule } from '../../../src/modules/mail/mail.module';
import { MAILER } from '../../../src/modules/mail/mailer';
import { CapturingMailer } from '../../e2e/auth/capturing-mailer';
import { useTestModule } from '../../harness';

describe('AccountService (integration)', () => {
  const m = useTestModule({
    imports: [AuditModule, MailModule, AuthModule],
    overrides: [{ provide: MAILER, useValue: new CapturingMailer() }],
  });

  it('a token whose account no longer exists reads as unauthenticated', async () => {
    await expect(
      m.get<AccountService>(AccountService).me('00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
