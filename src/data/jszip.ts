import type JSZip from 'jszip';

/**
 * jszip, loaded on first use: importing it costs 50 ms, a tenth of a refused command's run, and
 * most commands read or write no `.npz` at all.
 */
export async function loadJSZip(): Promise<typeof JSZip> {
  return (await import('jszip')).default;
}
