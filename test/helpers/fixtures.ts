import { fileURLToPath } from 'node:url';

/**
 * Firmware files made by the reference tools (imgtool, dfu-util, srecord), shared beside the
 * repository for developers and CI alike. Read in place, never copied into the repository.
 */
export const FIRMWARE_FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/firmware', import.meta.url));
