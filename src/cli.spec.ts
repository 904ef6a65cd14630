import type { CliIo } from './common/cli/cli-command';
import { progressBar } from './common/cli/cli-command';
import { COMMANDS, runCli } from './cli';
import { Fernet } from './modules/encryption/fernet';

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    isTTY: false,
    out: (l) => void lines.push(l),
    err: (l) => void errors.push(l),
    rewrite: () => undefined,
  };
}

describe('cli', () => {
  it('lists every registered command', async () => {
    const io = capture();
    await expect(runCli(['help'], io)).resolves.toBe(0);
    for (const name of ['encryption:generate-key', 'encryption:rotate', 'encryption:status']) {
      expect(io.lines.join('\n')).toContain(name);
    }
    expect(COMMANDS.length).toBeGreaterThanOrEqual(3);
    await expect(runCli([], capture())).resolves.toBe(2);
  });

  it('refuses unknown commands and unknown options with exit code 2', async () => {
    const io = capture();
    await expect(runCli(['nope'], io)).resolves.toBe(2);
    expect(io.errors[0]).toMatch(/Unknown command "nope"/);
    const io2 = capture();
    await expect(runCli(['encryption:rotate', '--force'], io2)).resolves.toBe(2);
    expect(io2.errors[0]).toMatch(
      /Usage: npm run cli -- encryption:rotate \[--dry-run\] \[--batch-size N\]/,
    );
  });

  it('prints per-command help', async () => {
    const io = capture();
    await expect(runCli(['encryption:rotate', '--help'], io)).resolves.toBe(0);
    expect(io.lines[0]).toMatch(/Re-encrypt/);
  });

  it('runs a command inside a Nest application context (generate-key needs no database)', async () => {
    const io = capture();
    await expect(runCli(['encryption:generate-key'], io)).resolves.toBe(0);
    expect(() => new Fernet(io.lines[0])).not.toThrow();
  });

  it('draws progress bars', () => {
    expect(progressBar(0, 10, 10)).toBe('[----------]   0%  0/10');
    expect(progressBar(5, 10, 10)).toBe('[#####-----]  50%  5/10');
    expect(progressBar(0, 0, 4)).toBe('[####] 100%  0/0');
  });
});
