// A gradient slot's layout (model/slot-layout.ts) as i32 words in the shared memory, which
// ../slot-layout-words.ts writes: the number of copies, the number of outers, then per copy
// (parameter, slot, length) and per outer (parameter, rows, columns, input, output), all offsets
// and counts in floats.

export const enum Copy { PARAMETER, SLOT, LENGTH, COUNT }
export const enum Outer { PARAMETER, ROWS, COLUMNS, INPUT, OUTPUT, COUNT }

@inline export function copyCount(layout: usize): i32 {
  return load<i32>(layout);
}

@inline export function outerCount(layout: usize): i32 {
  return load<i32>(layout, 4);
}

/** Field f of copy i. */
@inline export function copyField(layout: usize, i: i32, f: Copy): i32 {
  return load<i32>(layout + 8 + ((<usize>(i * Copy.COUNT + f)) << 2));
}

/** Field f of outer i. */
@inline export function outerField(layout: usize, i: i32, f: Outer): i32 {
  return load<i32>(layout + 8 + ((<usize>(copyCount(layout) * Copy.COUNT + i * Outer.COUNT + f)) << 2));
}
