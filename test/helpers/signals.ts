import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { CLI } from './cli.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI, waits until `ready(pid)` holds, sends `signals` 50 ms apart, and waits for the exit. */
export function interruptWhen(args: string[], ready: (pid: number) => boolean, signals: NodeJS.Signals[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (child.pid === undefined || !ready(child.pid)) return;
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

/** Whether process `pid` holds `path` open (Linux: a link in /proc/PID/fd), e.g. a named pipe it waits on. */
export function holdsOpen(pid: number, path: string): boolean {
  const fds = `/proc/${pid}/fd`;
  try {
    return readdirSync(fds).some((fd) => {
      try {
        return readlinkSync(`${fds}/${fd}`) === path;
      } catch {
        return false; // closed since the listing
      }
    });
  } catch {
    return false; // not started yet, or gone
  }
}
