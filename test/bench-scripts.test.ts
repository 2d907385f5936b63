// The scripts under bench/ answer a bad value as the CLI does: one line naming it, exit code 2.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = (name: string) => fileURLToPath(new URL(`../dist/bench/${name}.js`, import.meta.url));

describe('bench scripts refuse bad values in one line, exit 2', () => {
  it.each([
    ['compare-pytorch', ['--model', 'foo'], /^compare-pytorch: --model foo: 'foo' is neither a preset/],
    ['compare-pytorch', ['--data', '/no/such/data'], /^compare-pytorch: \/no\/such\/data: no such file or directory/],
    ['compare-pytorch', ['--dp', 'maybe'], /^compare-pytorch: --dp takes yes or no, got 'maybe'/],
    ['research/stack-phases', ['--preset', 'foo'], /^stack-phases: .*foo/],
  ])('%s %s', (name, args, message) => {
    const r = spawnSync(process.execPath, [script(name), ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
