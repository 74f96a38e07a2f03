// No import cycle in any package's src/: each module's relative imports (type-only ones too, since a
// cycle of types is still two modules that cannot be understood apart) must form a graph without loops.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
// `import x from './a.js'`, `import type { X } from '../b.js'`, `export * from './c.js'`, `import('./d.js')`, `import './e.js'`.
const RELATIVE_IMPORT = /(?:\b(?:import|export)\b[^'";]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Relative import edges between the .ts files under `dirs`, keyed by absolute path. */
function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
      const file = path.join(dir, entry);
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
      const targets = [...source.matchAll(RELATIVE_IMPORT)].map((m) => path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
      graph.set(file, [...new Set(targets)]);
    }
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the list of files around it (first file repeated at the end). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    const onStack = stack.indexOf(file);
    if (onStack >= 0) {
      cycles.push([...stack.slice(onStack), file]);
      return;
    }
    if (done.has(file) || !graph.has(file)) return;
    stack.push(file);
    for (const next of graph.get(file)!) visit(next);
    stack.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return cycles;
}

describe('import graph', () => {
  const srcDirs = readdirSync(PACKAGES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(PACKAGES, d.name, 'src'))
    .filter((dir) => readdirSync(path.dirname(dir)).includes('src'));

  it('finds a cycle when there is one (the check can fail)', () => {
    const graph = new Map([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts']],
      ['/d.ts', ['/a.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['/a.ts', '/b.ts', '/c.ts', '/a.ts']]);
    expect(
      findCycles(
        new Map([
          ['/a.ts', ['/b.ts']],
          ['/b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads every form of relative import and export, and nothing in comments', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'import-graph-'));
    try {
      writeFileSync(
        path.join(dir, 'a.ts'),
        [
          "import { b } from './b.js';",
          "import type {\n  C,\n} from './c.js';",
          "export * from './d.js';",
          "export { type E } from './sub/e.js';",
          "import './f.js';",
          "const g = await import('./g.js');",
          "// import { h } from './h.js';",
          "import { readFile } from 'node:fs';",
        ].join('\n'),
      );
      const edges = importGraph([dir])
        .get(path.join(dir, 'a.ts'))!
        .map((f) => path.relative(dir, f));
      expect(edges.sort()).toEqual(['b.ts', 'c.ts', 'd.ts', 'f.ts', 'g.ts', path.join('sub', 'e.ts')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the edges of real import statements', () => {
    const graph = importGraph([path.join(PACKAGES, 'publisher', 'src')]);
    const detectStage = path.join(PACKAGES, 'publisher', 'src', 'detect', 'detect-stage.ts');
    expect(graph.get(detectStage)).toContain(path.join(PACKAGES, 'publisher', 'src', 'detect', 'draw.ts'));
  });

  it('has no cycle in any package src folder', () => {
    expect(srcDirs.length).toBeGreaterThanOrEqual(2);
    const cycles = findCycles(importGraph(srcDirs)).map((cycle) => cycle.map((f) => path.relative(PACKAGES, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });
});
