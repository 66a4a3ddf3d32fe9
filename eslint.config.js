// Lint: typescript-eslint's recommended rules (syntax only, no type information, so
// `npm run lint` stays quick on two cores; `tsc` does the type checking), React's hook rules
// for the renderer, and the architecture's boundaries as errors:
//
//   - only src-main/shell and src-preload import 'electron';
//   - only src-main/transports/usb/node-usb-bus.ts loads 'usb' (a native package that may have
//     no binary for the platform: it is loaded lazily there, and a failure becomes a status line);
//   - only src-main/transports/ble/node-ble-central.ts loads 'node-ble' or 'dbus-next' (a system
//     bus may be missing; everything else sees BLE through BleCentral, so a second backend fits
//     beside it), except that the simulated BlueZ in src-main/virtual/ble owns org.bluez through
//     'dbus-next', and its own tests (simulated-bluez*) prove it against node-ble itself;
//   - only the IPC binding (src-main/shell/ipc-binding.ts) and the preload entry
//     (src-preload/index.ts) touch ipcMain / ipcRenderer;
//   - src-main/api imports nothing but itself and zod;
//   - the renderer imports no Node modules and nothing from src-main but src-main/api;
//   - core, protocols, firmware-images, transports, store, virtual (and the plain-Node doors, server and
//     cli) import nothing from the renderer or the Electron shell.
//
// Path boundaries are checked by a small local rule that resolves each relative import
// against the importing file, because folder names repeat (src-main/shell is the Electron
// shell, src-main/protocols/shell is a device protocol) and import strings alone cannot
// tell them apart. Tests that fake Electron (shell-*, preload-*, the fake itself) may
// import and name it; any other test importing 'electron' would make Electron try to
// download its binary.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));

const ELECTRON_ZONE = ['src-main/shell/**', 'src-preload/**'];
const IPC_ZONE = ['src-main/shell/ipc-binding.ts', 'src-preload/index.ts'];
// Listed by name: other shell-* tests are about the device shell protocol, not Electron.
const ELECTRON_TESTS = [
  'test/unit/shell-security.test.ts',
  'test/unit/shell-ipc-binding.test.ts',
  'test/unit/shell-main.test.ts',
  'test/unit/preload-*.test.ts',
  'test/helpers/fake-electron.ts',
];
const PLAIN_NODE = ['core', 'protocols', 'firmware-images', 'transports', 'store', 'virtual', 'server', 'cli'].map((folder) => `src-main/${folder}/**`);

const ELECTRON_MESSAGE = "Only src-main/shell and src-preload import 'electron'; everything else runs under plain Node.";
const USB_ZONE = ['src-main/transports/usb/node-usb-bus.ts'];
const USB_MESSAGE =
  "Only src-main/transports/usb/node-usb-bus.ts loads 'usb'; everything else sees the bus through UsbBus (src-main/transports/usb/usb-bus.ts).";
const BLE_ZONE = ['src-main/transports/ble/node-ble-central.ts'];
const BLE_SIMULATOR_ZONE = ['src-main/virtual/ble/**'];
const BLE_SIMULATOR_TESTS = ['test/**/simulated-bluez*.test.ts'];
const BLE_MESSAGE =
  "Only src-main/transports/ble/node-ble-central.ts loads 'node-ble' or 'dbus-next'; everything else sees BLE through BleCentral (src-main/transports/ble/ble-central.ts).";
const IPC_MESSAGE =
  'Only src-main/shell/ipc-binding.ts and src-preload/index.ts use ipcMain/ipcRenderer; everything else goes through the contract.';

/** Builds no-restricted-syntax entries; the rule takes one list per file, so zones compose them. */
const ipcSyntax = [
  { selector: 'Identifier[name=/^ipc(Main|Renderer)$/]', message: IPC_MESSAGE },
  { selector: 'MemberExpression[computed=true][property.value=/^ipc(Main|Renderer)$/]', message: IPC_MESSAGE },
];
const dynamicElectronSyntax = [
  { selector: "ImportExpression[source.value='electron']", message: ELECTRON_MESSAGE },
  { selector: "CallExpression[callee.name='require'][arguments.0.value='electron']", message: ELECTRON_MESSAGE },
];
const dynamicUsbSyntax = [
  { selector: "ImportExpression[source.value=/^usb(\\u002F.*)?$/]", message: USB_MESSAGE },
  { selector: "CallExpression[callee.name='require'][arguments.0.value=/^usb(\\u002F.*)?$/]", message: USB_MESSAGE },
];
const usbImport = { name: 'usb', message: USB_MESSAGE };
const usbPatterns = [{ group: ['usb/*'], message: USB_MESSAGE }];
const blePackages = ['node-ble', 'dbus-next'];
const bleSyntaxFor = (packages) =>
  packages.flatMap((name) => [
    { selector: `ImportExpression[source.value=/^${name}(\\u002F.*)?$/]`, message: BLE_MESSAGE },
    { selector: `CallExpression[callee.name='require'][arguments.0.value=/^${name}(\\u002F.*)?$/]`, message: BLE_MESSAGE },
  ]);
const bleImportsFor = (packages) => packages.map((name) => ({ name, message: BLE_MESSAGE }));
const blePatternsFor = (packages) => (packages.length > 0 ? [{ group: packages.map((name) => `${name}/*`), message: BLE_MESSAGE }] : []);
const dynamicBleSyntax = bleSyntaxFor(blePackages);
const bleImports = bleImportsFor(blePackages);
const blePatterns = blePatternsFor(blePackages);

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_') && !name.startsWith('node:'));

/** The one local rule: where a relative import lands, judged by folder. */
const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep imports inside the architecture: which folders may import which.' },
    schema: [
      {
        type: 'object',
        properties: {
          forbid: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                folder: { type: 'string' },
                except: { type: 'array', items: { type: 'string' } },
                message: { type: 'string' },
              },
              required: ['folder', 'message'],
              additionalProperties: false,
            },
          },
          onlyInside: {
            type: 'object',
            properties: {
              folder: { type: 'string' },
              packages: { type: 'array', items: { type: 'string' } },
              message: { type: 'string' },
            },
            required: ['folder', 'message'],
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
    ],
    messages: { boundary: '{{message}} ({{source}})' },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const fromDir = dirname(resolve(root, context.filename));
    const inside = (path, folder) => path === folder || path.startsWith(`${folder}/`);

    function check(node, source) {
      if (typeof source !== 'string') return;
      const isPath = source.startsWith('.') || source.startsWith('/');
      const target = isPath ? relative(root, resolve(fromDir, source)).split(sep).join('/') : null;
      const report = (message) => context.report({ node, messageId: 'boundary', data: { message, source } });

      if (target !== null) {
        for (const rule of options.forbid ?? []) {
          if (inside(target, rule.folder) && !(rule.except ?? []).some((folder) => inside(target, folder))) {
            report(rule.message);
            return;
          }
        }
      }
      const only = options.onlyInside;
      if (only) {
        const allowed =
          target !== null
            ? inside(target, only.folder)
            : (only.packages ?? []).some((name) => source === name || source.startsWith(`${name}/`));
        if (!allowed) report(only.message);
      }
    }

    const fromSource = (node) => {
      if (node.source) check(node, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node, node.source.value);
      },
      TSExternalModuleReference(node) {
        if (node.expression.type === 'Literal') check(node, node.expression.value);
      },
      CallExpression(node) {
        const [first] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && first?.type === 'Literal') check(node, first.value);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', '.native/', 'test-results/', 'playwright-report/', 'coverage/'] },

  js.configs.recommended,
  ...tseslint.configs.recommended,

  {
    plugins: { fieldbench: { rules: { 'import-boundaries': importBoundaries } } },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Device output is full of control characters (ANSI escapes, NUL padding); matching them is the point.
      'no-control-regex': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: ELECTRON_MESSAGE }, usbImport, ...bleImports], patterns: [...usbPatterns, ...blePatterns] },
      ],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicElectronSyntax, ...dynamicUsbSyntax, ...dynamicBleSyntax],
    },
  },

  // ---------------------------------------------------------------- renderer: a browser page
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: ELECTRON_MESSAGE },
            usbImport,
            ...bleImports,
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'The renderer is a web page (also served to browsers by fieldbench serve): no Node modules.',
            })),
          ],
          patterns: [{ group: ['node:*'], message: 'The renderer is a web page: no Node modules.' }, ...usbPatterns, ...blePatterns],
        },
      ],
      'fieldbench/import-boundaries': [
        'error',
        {
          forbid: [
            {
              folder: 'src-main',
              except: ['src-main/api'],
              message: 'The renderer reaches the core only through the contract in src-main/api.',
            },
          ],
        },
      ],
    },
  },

  // ---------------------------------------------------------------- the contract
  {
    files: ['src-main/api/**'],
    rules: {
      'fieldbench/import-boundaries': [
        'error',
        {
          onlyInside: {
            folder: 'src-main/api',
            packages: ['zod'],
            message: 'src-main/api is shared by every door and the renderer: it imports only itself and zod.',
          },
        },
      ],
    },
  },

  // ---------------------------------------------------------------- plain Node code
  {
    files: PLAIN_NODE,
    rules: {
      'fieldbench/import-boundaries': [
        'error',
        {
          forbid: [
            { folder: 'src-renderer', message: 'Core code does not import the renderer.' },
            { folder: 'src-main/shell', message: 'Core code does not import the Electron shell; it must run under plain Node.' },
          ],
        },
      ],
    },
  },

  // ---------------------------------------------------------------- the Electron corner
  {
    files: ['src-preload/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'fieldbench/import-boundaries': [
        'error',
        {
          forbid: [
            {
              folder: 'src-main',
              except: ['src-main/api'],
              message: 'The preload exposes the contract and nothing more; it imports only src-main/api.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [...ELECTRON_ZONE, ...ELECTRON_TESTS],
    rules: {
      'no-restricted-imports': ['error', { paths: [usbImport, ...bleImports], patterns: [...usbPatterns, ...blePatterns] }],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicUsbSyntax, ...dynamicBleSyntax],
    },
  },
  {
    files: USB_ZONE,
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: ELECTRON_MESSAGE }, ...bleImports], patterns: blePatterns }],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicElectronSyntax, ...dynamicBleSyntax],
    },
  },
  {
    files: BLE_ZONE,
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: ELECTRON_MESSAGE }, usbImport], patterns: usbPatterns }],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicElectronSyntax, ...dynamicUsbSyntax],
    },
  },
  {
    files: BLE_SIMULATOR_TESTS,
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: ELECTRON_MESSAGE }, usbImport], patterns: usbPatterns }],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicElectronSyntax, ...dynamicUsbSyntax],
    },
  },
  {
    files: BLE_SIMULATOR_ZONE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: ELECTRON_MESSAGE }, usbImport, ...bleImportsFor(['node-ble'])],
          patterns: [...usbPatterns, ...blePatternsFor(['node-ble'])],
        },
      ],
      'no-restricted-syntax': ['error', ...ipcSyntax, ...dynamicElectronSyntax, ...dynamicUsbSyntax, ...bleSyntaxFor(['node-ble'])],
    },
  },
  {
    files: [...IPC_ZONE, ...ELECTRON_TESTS],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
