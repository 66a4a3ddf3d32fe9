// MCUboot's image version: major.minor.revision+build, packed as u8, u8, u16, u32.
// The text form follows imgtool: "1", "1.2", "1.2.3" and "1.2.3+4" are all accepted, and
// missing parts are zero.
import { imageError } from './image-error';

export interface McubootVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

const VERSION_TEXT = /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\+(0|[1-9]\d*))?)?)?$/;

const limits: [keyof McubootVersion, number][] = [
  ['major', 0xff],
  ['minor', 0xff],
  ['revision', 0xffff],
  ['build', 0xffffffff],
];

export function parseMcubootVersion(text: string): McubootVersion {
  const match = VERSION_TEXT.exec(text.trim());
  if (!match) {
    throw imageError('read image version', `'${text}' is not an image version`, "Write it as major.minor.revision+build, for example '1.4.2+0'.");
  }
  const version: McubootVersion = {
    major: Number(match[1]),
    minor: Number(match[2] ?? 0),
    revision: Number(match[3] ?? 0),
    build: Number(match[4] ?? 0),
  };
  for (const [part, max] of limits) {
    if (version[part] > max) {
      throw imageError('read image version', `the ${part} part of '${text}' is above ${max}`, 'MCUboot stores major and minor in one byte, revision in two and build in four.');
    }
  }
  return version;
}

export function formatMcubootVersion(version: McubootVersion): string {
  return `${version.major}.${version.minor}.${version.revision}+${version.build}`;
}

/**
 * Orders two versions: negative when a is older, 0 when equal, positive when newer. The
 * build number counts last, as MCUboot compares it when told to (VERSION_CMP_USE_BUILD_NUMBER).
 */
export function compareMcubootVersions(a: McubootVersion, b: McubootVersion): number {
  return a.major - b.major || a.minor - b.minor || a.revision - b.revision || a.build - b.build;
}
