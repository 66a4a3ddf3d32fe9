import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { virtualTimeScale } from '../../src-main/cli/core-session';
import { defaultDataDir } from '../../src-main/cli/paths';
import { captureIo as capture } from '../helpers/captured-io';


describe('fieldbench CLI usage', () => {
  it('prints help and the version', async () => {
    const io = capture();
    expect(await runCli(['help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('fieldbench <command>');
    for (const command of ['flash --usb VID:PID[:SERIAL] --image FILE', 'dfu list', 'dfu detach --usb', '--virtual-usb stm32-dfu|dfu-gadget[:bootloader]', '--virtual-faults JSON', 'ERASES THE WHOLE FLASH', 'ble scan --seconds N [--all]', 'ble follow ADDRESS [--seconds N]', 'diag --ble ADDRESS', 'flash --ble ADDRESS --image FILE', '--virtual-ble', 'log --port PATH|--virtual', '--capture FILE']) {
      expect(io.stdout.join('\n')).toContain(command);
    }
    const v = capture();
    expect(await runCli(['--version'], v)).toBe(0);
    expect(v.stdout[0]).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['diag'], /diag needs --port/],
    [['devices', '--bogus'], /Unknown option '--bogus'/],
    [['cases', '--status', 'maybe'], /--status is open, waiting or resolved/],
    [['cases', 'frobnicate'], /unknown cases action 'frobnicate'/],
    [['cases', '--tag', 'radio'], /--tag is for cases search/],
    [['cases', 'show'], /cases show needs a case id/],
    [['cases', 'history', 'SN-1', 'SN-2'], /cases history needs a serial number/],
    [['cases', 'search', 'radio', '--limit', '0'], /--limit takes a whole number from 1 to 200/],
    [['serve', '--port', '70000'], /--port takes a whole number/],
    [['sim'], /sim needs one model/],
    [['log'], /log needs one of --port PATH or --virtual/],
    [['log', '--port', '/dev/ttyACM0', '--virtual'], /log needs one of --port PATH or --virtual/],
    [['log', '--port', '/dev/ttyACM0', 'extra'], /unexpected argument 'extra' for log/],
    [['log', '--port', '/dev/ttyACM0', '--baud', 'fast'], /--baud takes a whole number from 50 to 12000000/],
    [['log', '--port', '/dev/ttyACM0', '--data-bits', '9'], /--data-bits takes 5, 6, 7 or 8, not '9'/],
    [['log', '--port', '/dev/ttyACM0', '--parity', 'maybe'], /--parity takes none, even, odd, mark, space, not 'maybe'/],
    [['log', '--port', '/dev/ttyACM0', '--stop-bits', '3'], /--stop-bits takes 1, 1.5 or 2/],
    [['log', '--port', '/dev/ttyACM0', '--flow', 'dtr'], /--flow takes none, rts-cts, xon-xoff, not 'dtr'/],
    [['log', '--port', '/dev/ttyACM0', '--lines', '0'], /--lines takes a whole number from 1/],
    [['log', '--port', '/dev/ttyACM0', '--until', '(unclosed'], /--until takes a regular expression/],
    [['log', '--port', '/dev/ttyACM0', '--virtual-faults', '{}'], /--virtual-faults sets the knobs of the virtual node: give --virtual too/],
    [['log', '--virtual', '--virtual-faults', '{"rebootAtFloodLine":0}'], /--virtual-faults has a bad knob: rebootAtFloodLine/],
    [['ble'], /ble needs: ble scan --seconds N/],
    [['ble', 'scan'], /ble scan needs --seconds N/],
    [['ble', 'scan', '--seconds', '61'], /--seconds takes a whole number from 1 to 60/],
    [['ble', 'scan', '--seconds', '2', 'extra'], /unexpected argument 'extra' for ble scan/],
    [['ble', 'follow'], /ble follow needs a Bluetooth address .*or --virtual-ble/],
    [['ble', 'follow', 'C0:DE'], /ble follow takes a Bluetooth address/],
    [['ble', 'follow', 'C0:DE:00:00:00:01', 'extra'], /unexpected argument 'extra' for ble follow/],
    [['ble', 'follow', 'C0:DE:00:00:00:01', '--seconds', '0'], /--seconds takes a whole number from 1 to 86400/],
    [['ble', 'follow', 'C0:DE:00:00:00:01', '--all'], /--all is for ble scan/],
    [['ble', 'watch'], /ble needs: ble scan --seconds N \[--all\], or ble follow ADDRESS/],
    [['diag', '--ble', 'C0:DE:00:00:00:01', '--port', '/dev/ttyACM0'], /diag takes one of --port PATH or --ble ADDRESS/],
    [['diag', '--ble', 'nearby'], /--ble takes a Bluetooth address/],
    [['diag', '--port', '/dev/ttyACM0', '--virtual-ble'], /--virtual-ble works with ble scan, diag --ble, flash --ble and devices, not diag --port/],
    [['flash', '--port', '/dev/ttyACM0', '--image', 'a.bin', '--virtual-ble'], /--virtual-ble works with .* not flash --port/],
    [['sim', 'sensor-node', '--garbage', '2'], /--garbage takes a probability/],
    [['sim', 'toaster'], /no virtual device model 'toaster'/],
    [['flash', '--image', 'app.dfu'], /flash needs --image FILE and one of --port PATH .* or --usb VID:PID/],
    [['flash', '--port', '/dev/ttyACM0', '--usb', '0483:df11', '--image', 'app.dfu'], /one of --port PATH/],
    [['flash', '--usb', '0483', '--image', 'app.dfu'], /--usb takes VID:PID\[:SERIAL\] in hex/],
    [['flash', '--usb', '0483:df11', '--image', 'app.dfu', '--upload-only'], /--upload-only is for MCUboot updates over --port/],
    [['flash', '--port', '/dev/ttyACM0', '--image', 'app.bin', '--mass-erase'], /--mass-erase is for USB DFU flashing with --usb/],
    [['flash', '--usb', '0483:df11', '--image', 'app.bin', '--address', '8000000'], /--address takes a hex address such as 0x08000000/],
    [['flash', '--usb', '0483:df11', '--image', 'app.bin', '--alt', '256'], /--alt takes a whole number from 0 to 255/],
    [['flash', '--port', '/dev/ttyACM0', '--image', 'app.bin', '--virtual-usb', 'stm32-dfu'], /flash it with --usb VID:PID/],
    [['dfu'], /dfu needs one of: list, detach/],
    [['dfu', 'list', 'extra'], /unexpected argument 'extra' for dfu list/],
    [['dfu', 'detach'], /dfu detach needs --usb VID:PID/],
    [['dfu', 'list', '--virtual-usb', 'toaster'], /--virtual-usb takes stm32-dfu or dfu-gadget/],
    [['dfu', 'list', '--virtual-usb', 'stm32-dfu:recovery'], /--virtual-usb takes stm32-dfu or dfu-gadget, optionally :bootloader/],
    [['dfu', 'list', '--virtual-faults', '{"usbStallNext":true}'], /give --virtual-usb too/],
    [['dfu', 'list', '--virtual-usb', 'stm32-dfu', '--virtual-faults', 'stall please'], /--virtual-faults takes a JSON object/],
    [['dfu', 'list', '--virtual-usb', 'stm32-dfu', '--virtual-faults', '{"dfuError":{"status":"errNOPE"}}'], /--virtual-faults has a bad knob: dfuError\.status/],
    [['dfu', 'list', '--virtual-usb', 'stm32-dfu', '--virtual-faults', '{"frobnicate":1}'], /--virtual-faults has a bad knob: .*frobnicate/],
    [['diag', '--port', '/dev/ttyACM0', '--virtual-usb', 'stm32-dfu'], /--virtual-usb works with devices, flash and dfu, not diag/],
  ])('refuses %j with exit 2 and a reason on stderr', async (argv, reason) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('\n')).toMatch(reason);
  });

  it('uses the same data folder as the desktop app', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/u/.config' }, 'linux')).toBe('/home/u/.config/fieldbench');
    expect(defaultDataDir({ FIELDBENCH_DATA_DIR: '/tmp/x' }, 'linux')).toBe('/tmp/x');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('fieldbench');
  });

  it('runs virtual boards at real speed unless FIELDBENCH_VIRTUAL_TIME_SCALE says otherwise, and refuses nonsense there', () => {
    expect(virtualTimeScale({})).toBe(1);
    expect(virtualTimeScale({ FIELDBENCH_VIRTUAL_TIME_SCALE: '0.05' })).toBe(0.05);
    expect(virtualTimeScale({ FIELDBENCH_VIRTUAL_TIME_SCALE: '0' })).toBe(0);
    for (const bad of ['fast', '-1', '1e9']) expect(() => virtualTimeScale({ FIELDBENCH_VIRTUAL_TIME_SCALE: bad })).toThrow(/FIELDBENCH_VIRTUAL_TIME_SCALE is/);
  });
});
