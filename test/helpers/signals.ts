import { spawn } from 'node:child_process';
import { CLI } from './cli.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI, waits until `ready()` holds, sends `signals` 50 ms apart, and waits for the exit. */
export function interruptWhen(args: string[], ready: () => boolean, signals: NodeJS.Signals[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      signals.forEach((signal, i) => setTimeout(() => child.kill(signal), 50 * i));
    }, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
