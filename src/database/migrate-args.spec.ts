import { CliError, parseArgs } from './migrate-args';

describe('migrate.ts arguments', () => {
  it('reads a command, a name and a timestamp in either spelling', () => {
    expect(parseArgs(['status'])).toEqual({ command: 'status' });
    expect(parseArgs(['generate', 'AddUsers', '--timestamp', '1764600000000'])).toEqual({
      command: 'generate',
      name: 'AddUsers',
      timestamp: 1764600000000,
    });
    expect(parseArgs(['generate', '--timestamp=1764600000000', 'AddUsers']).timestamp).toBe(
      1764600000000,
    );
  });

  it.each([
    [[], /^usage: migrate\.ts run \| revert \| status \| generate <Name>/],
    [['bogus'], /^unknown command "bogus"\nusage:/],
    [['status', 'a', 'b'], /^unexpected argument "b"\nusage:/],
    [['generate', 'X', '--timestamp', '17646'], /^--timestamp must be a 13-digit/],
    [['generate', 'X', '--timestamp'], /^--timestamp must be a 13-digit/],
    [['generate'], /^generate needs a migration name in PascalCase/],
    [['generate', 'not-a-name'], /^generate needs a migration name in PascalCase/],
  ])('refuses %j before anything is loaded', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(CliError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
