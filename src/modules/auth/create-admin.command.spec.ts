import { Readable } from 'node:stream';
import { readPassword } from './create-admin.command';

describe('readPassword', () => {
  it('reads a piped password, dropping one trailing newline', async () => {
    const piped = Readable.from([Buffer.from('pass word 123\n')]) as unknown as NodeJS.ReadStream;
    await expect(readPassword(piped)).resolves.toBe('pass word 123');
  });

  it('keeps inner whitespace and reads in chunks', async () => {
    const piped = Readable.from([
      Buffer.from('a  b'),
      Buffer.from(' c\r\n'),
    ]) as unknown as NodeJS.ReadStream;
    await expect(readPassword(piped)).resolves.toBe('a  b c');
  });
});

describe('readPassword on a terminal', () => {
  it('prompts on stderr without echoing what is typed', async () => {
    const { PassThrough } = await import('node:stream');
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: () => tty,
    }) as unknown as NodeJS.ReadStream;
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const answer = readPassword(tty, 'Password: ');
      tty.write('typed secret\r');
      await expect(answer).resolves.toBe('typed secret');
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('Password: ');
    expect(written.join('')).not.toContain('typed secret');
  });
});
