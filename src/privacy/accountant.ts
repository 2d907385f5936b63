// PLACEHOLDER until the rdp helper's module lands: not to be committed.
export type AccountantKind = 'rdp' | 'prv';
export const ACCOUNTANT_KINDS: readonly AccountantKind[] = ['rdp', 'prv'];
export const ACCOUNTANTS: Record<AccountantKind, (m: { sampleRate: number; noise: number; steps: number }, delta: number) => { epsilon: number }> = {
  rdp: () => ({ epsilon: NaN }),
  prv: () => ({ epsilon: NaN }),
};
export function noiseForTarget(..._: unknown[]): number { return NaN; }
