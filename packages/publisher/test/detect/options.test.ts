import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT_OPTIONS, parseBoxThickness, parseDetectFps, parseDetector, parseMinScore, resolveDetectOptions } from '../../src/detect/options.js';

describe('detect options', () => {
  it.each([
    ['--detector', () => parseDetector('yolo'), 'Expected `--detector` to be one of `tiny`, `ssd`, `blazeface`, `off`, got `yolo`'],
    ['--min-score', () => parseMinScore('x'), 'Expected `--min-score` to be a number in [0, 1], got `x`'],
    ['--min-score', () => parseMinScore('1.5'), 'Expected `--min-score` to be a number in [0, 1], got `1.5`'],
    ['--min-score', () => parseMinScore(''), 'Expected `--min-score` to be a number in [0, 1], got ``'],
    ['--detect-fps', () => parseDetectFps('0'), 'Expected `--detect-fps` to be a number in (0, 120], got `0`'],
    ['--detect-fps', () => parseDetectFps('fast'), 'Expected `--detect-fps` to be a number in (0, 120], got `fast`'],
    ['--box-thickness', () => parseBoxThickness('2.5'), 'Expected `--box-thickness` to be an integer in [1, 32], got `2.5`'],
    ['--box-thickness', () => parseBoxThickness('0'), 'Expected `--box-thickness` to be an integer in [1, 32], got `0`'],
  ])('rejects a bad %s with a message naming it', (option, parse, message) => {
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option });
    }
  });

  it('parses good values', () => {
    expect(parseDetector('TINY')).toBe('tiny');
    expect(parseDetector('off')).toBe('off');
    expect(parseMinScore('0.25')).toBe(0.25);
    expect(parseDetectFps('7.5')).toBe(7.5);
    expect(parseBoxThickness('4')).toBe(4);
  });

  it('fills defaults', () => {
    expect(resolveDetectOptions({})).toEqual(DEFAULT_DETECT_OPTIONS);
    expect(resolveDetectOptions({ detector: 'tiny', minScore: undefined })).toMatchObject({ detector: 'tiny', minScore: 0.5 });
    expect(DEFAULT_DETECT_OPTIONS).toMatchObject({ detector: 'blazeface', minScore: 0.5, detectFps: 15, boxThickness: 3 });
  });
});
