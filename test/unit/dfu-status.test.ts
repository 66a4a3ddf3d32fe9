// Every DFU 1.1 status reads as a sentence a support engineer can act on.
import { describe, expect, it } from 'vitest';
import { DFU_ERROR_STATUSES } from '../../src-main/api/schemas';
import { describeDfuStatus, dfuStateName, dfuStatusHint, dfuStatusMeaning, dfuStatusName } from '../../src-main/protocols/dfu/dfu-status';

describe('describeDfuStatus', () => {
  it('names OK and each of the 15 error statuses by its DFU 1.1 name, with a meaning and what to do', () => {
    expect(describeDfuStatus(0)).toMatch(/^OK: /u);
    const sentences = new Set<string>();
    DFU_ERROR_STATUSES.forEach((name, i) => {
      const text = describeDfuStatus(i + 1);
      expect(text.startsWith(`${name}: `)).toBe(true);
      expect(dfuStatusName(i + 1)).toBe(name);
      expect(dfuStatusHint(i + 1).length).toBeGreaterThan(20);
      expect(text).toContain(dfuStatusHint(i + 1));
      sentences.add(dfuStatusMeaning(i + 1));
    });
    expect(sentences.size).toBe(15);
  });

  it('words errWRITE as the flash that could not be written', () => {
    expect(dfuStatusMeaning(0x03)).toBe('errWRITE: the device could not write the flash');
  });

  it('says so for a status the specification does not define', () => {
    expect(describeDfuStatus(0x42)).toMatch(/^status 0x42: .*does not define/u);
  });

  it('names the states', () => {
    expect(dfuStateName(2)).toBe('dfuIDLE');
    expect(dfuStateName(8)).toBe('dfuMANIFEST-WAIT-RESET');
    expect(dfuStateName(10)).toBe('dfuERROR');
    expect(dfuStateName(11)).toBe('state 11');
  });
});
