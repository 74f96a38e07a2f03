/** 3x5 bitmap digits, one row per entry, bit 2 = left column. */
const DIGITS: readonly (readonly number[])[] = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** Calls `dot(col, row)` for each lit cell of `text` (digits only; other characters are blank), 1 cell gap between glyphs. */
export function forEachGlyphDot(text: string, dot: (col: number, row: number) => void): void {
  for (let i = 0; i < text.length; i++) {
    const glyph = DIGITS[text.charCodeAt(i) - 48];
    if (glyph === undefined) continue;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((glyph[row]! >> (GLYPH_WIDTH - 1 - col)) & 1) dot(i * (GLYPH_WIDTH + 1) + col, row);
      }
    }
  }
}

/** Width in cells of `text` as drawn by `forEachGlyphDot`. */
export function textCells(text: string): number {
  return text.length === 0 ? 0 : text.length * (GLYPH_WIDTH + 1) - 1;
}
