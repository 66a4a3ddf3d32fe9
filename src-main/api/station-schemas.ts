// The bench station's shapes as they cross the contract: the recipe a station runs, a tile per
// unit with its live state, the station as a whole, and the production record's runs.
import { z } from 'zod';
import { Id, IsoTime, ProcedureRunState, ProcedureStep, Sha256Hex, StepAwaiting, Transport } from './schemas';

/** What to do with a unit once its verdict is known (see core/station/recipe-file.ts). */
export const StationAction = z.enum(['confirm', 'reset', 'leave-in-bootloader']);
export type StationAction = z.infer<typeof StationAction>;

/** How a finished run ended. unplugged: the unit left mid-run; aborted: the operator (or a stopping station) ended it. */
export const StationOutcome = z.enum(['passed', 'failed', 'unplugged', 'aborted']);
export type StationOutcome = z.infer<typeof StationOutcome>;

/** What the recipe's test procedure found, step by step, as the record keeps it. */
export const StationProcedureResult = z.object({
  procedureId: z.string(),
  /** The run in the procedure runs store, when the runner recorded one there. */
  runId: z.string().nullable(),
  state: ProcedureRunState,
  /** Of each step, what a production log needs: the rest stays in the procedure run. */
  steps: z.array(ProcedureStep.pick({ id: true, title: true, status: true, reading: true, reason: true })),
});
export type StationProcedureResult = z.infer<typeof StationProcedureResult>;

/** One run as the production record holds it; also the shape of a JSON-lines export line. */
export const StationRun = z.object({
  id: z.string(),
  recipeId: z.string(),
  recipeRevision: z.string(),
  /** Of the recipe file's bytes: which exact recipe ran, even if the file is edited later. */
  recipeSha256: Sha256Hex,
  profileId: z.string(),
  /** The host the station ran on. */
  station: z.string(),
  operator: z.string().nullable(),
  deviceLabel: z.string(),
  transport: Transport,
  /** Null until the unit has told it (a DFU bootloader may have none). */
  serialNumber: z.string().nullable(),
  imageSha256: Sha256Hex,
  imageVersion: z.string().nullable(),
  versionBefore: z.string().nullable(),
  versionAfter: z.string().nullable(),
  procedureId: z.string().nullable(),
  procedure: StationProcedureResult.nullable(),
  /** Null while the run goes on. */
  outcome: StationOutcome.nullable(),
  failureStep: z.string().nullable(),
  failureReason: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type StationRun = z.infer<typeof StationRun>;

/** A recipe as loaded: what the station view shows at its top and every record names. */
export const StationRecipe = z.object({
  /** Absolute path of the recipe file on the station's machine. */
  file: z.string(),
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  revision: z.string(),
  recipeSha256: Sha256Hex,
  profileId: z.string(),
  profileName: z.string(),
  /** The update method of the profile: which bus the units are on and how they are flashed. */
  method: z.enum(['mcumgr-serial', 'usb-dfu']),
  image: z.object({
    fileName: z.string(),
    /** SHA-256 of the file: what sha256sum prints. */
    sha256: Sha256Hex,
    /** MCUboot's image hash, which the device reports for its slots; null for other formats. */
    bootloaderHash: z.string().nullable(),
    version: z.string().nullable(),
    size: z.number().int().min(0),
  }),
  procedure: z.object({ id: z.string(), name: z.string(), onFail: z.enum(['stop', 'continue']), operatorSteps: z.number().int().min(0) }).nullable(),
  onPass: StationAction,
  onFail: StationAction,
  parallelism: z.object({ serial: z.number().int(), usb: z.number().int(), ble: z.number().int() }),
  operatorRequired: z.boolean(),
  /** Sentences: what was checked when it loaded and found good. */
  checked: z.array(z.string()),
  /** What the operator should know, though it does not stop the station. */
  warnings: z.array(z.string()),
});
export type StationRecipe = z.infer<typeof StationRecipe>;

/**
 * A unit's live state on its tile.
 * - waiting: connected and matched, not started (auto-start off, no operator yet, or already done once).
 * - queued: started, waiting for a free place on its bus.
 * - flashing: the firmware job runs (progress says how far).
 * - testing: the recipe's procedure runs (prompt set while it waits for the operator).
 * - finishing: the pass or fail action (confirm, reset, leave in bootloader) runs.
 * - passed, failed, unplugged, aborted: the run ended; the tile keeps its verdict until the unit leaves.
 */
export const StationUnitState = z.enum(['waiting', 'queued', 'flashing', 'testing', 'finishing', 'passed', 'failed', 'unplugged', 'aborted']);
export type StationUnitState = z.infer<typeof StationUnitState>;

/** An operator step the unit's procedure waits on: answered with procedures.answer. */
export const StationPrompt = z.object({
  procedureRunId: z.string(),
  stepId: z.string(),
  title: z.string(),
  instructions: z.string().nullable(),
  awaiting: StepAwaiting,
  unit: z.string().nullable(),
  limit: z.string().nullable(),
});
export type StationPrompt = z.infer<typeof StationPrompt>;

export const StationUnit = z.object({
  /** The device's id in devices.list; a tile is keyed by it. */
  deviceId: Id,
  label: z.string(),
  transport: Transport,
  virtual: z.boolean(),
  /** From the device's identity; null until it has told it. */
  serialNumber: z.string().nullable(),
  /** False once the device left (the tile stays while its run is recorded). */
  present: z.boolean(),
  state: StationUnitState,
  /** What the unit is doing now, in words ("upload", "reset", "step 3 of 6: Temperature"). */
  step: z.string().nullable(),
  /** 0..1 of the upload, while flashing; null otherwise. */
  progress: z.number().min(0).max(1).nullable(),
  prompt: StationPrompt.nullable(),
  /** The production record's run for the current or last run; null before the first. */
  runId: z.string().nullable(),
  firmwareJobId: z.string().nullable(),
  procedureRunId: z.string().nullable(),
  versionBefore: z.string().nullable(),
  versionAfter: z.string().nullable(),
  /** For failed, unplugged, aborted: the step it stopped at and why, in words the operator reads. */
  failureStep: z.string().nullable(),
  reason: z.string().nullable(),
  /** Why a waiting unit did not start by itself ("passed at 14:02; press Start to run it again"). */
  note: z.string().nullable(),
  startedAt: IsoTime.nullable(),
  endedAt: IsoTime.nullable(),
});
export type StationUnit = z.infer<typeof StationUnit>;

export const StationCounts = z.object({
  waiting: z.number().int().min(0),
  running: z.number().int().min(0),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  unplugged: z.number().int().min(0),
  aborted: z.number().int().min(0),
});
export type StationCounts = z.infer<typeof StationCounts>;

export const StationState = z.object({
  /** Null when no recipe is loaded. */
  recipe: StationRecipe.nullable(),
  /** This host's name, as records name the station. */
  station: z.string(),
  operator: z.string().nullable(),
  /** The recipe's autoStart, unless the operator changed it for this session. */
  autoStart: z.boolean(),
  /** Tiles in the order units were first seen. */
  units: z.array(StationUnit),
  /** Runs of this session (since the recipe loaded), by outcome; running counts units under way. */
  counts: StationCounts,
  /** Per bus: units running now and the limit. */
  buses: z.object({
    serial: z.object({ running: z.number().int().min(0), limit: z.number().int().min(1) }),
    usb: z.object({ running: z.number().int().min(0), limit: z.number().int().min(1) }),
    ble: z.object({ running: z.number().int().min(0), limit: z.number().int().min(1) }),
  }),
  loadedAt: IsoTime.nullable(),
});
export type StationState = z.infer<typeof StationState>;

/** A recipe file the station can offer without the operator typing a path. */
export const StationRecipeFile = z.object({
  file: z.string(),
  /** shipped: with Fieldbench; local: in the data folder's recipes/. */
  source: z.enum(['shipped', 'local']),
  id: z.string().nullable(),
  name: z.string().nullable(),
  revision: z.string().nullable(),
  profileId: z.string().nullable(),
  /** Why it cannot be loaded as it is, in words; null when it parses. */
  problem: z.string().nullable(),
});
export type StationRecipeFile = z.infer<typeof StationRecipeFile>;

/** Which runs: a time range (ISO 8601, from inclusive, to exclusive) and a recipe. */
export const StationRunFilter = z
  .object({
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    recipeId: z.string().min(1).max(100).optional(),
  })
  .strict();
export type StationRunFilterInput = z.infer<typeof StationRunFilter>;

export const StationExportFormat = z.enum(['csv', 'jsonl']);
export type StationExportFormat = z.infer<typeof StationExportFormat>;

/** A production log as a file to save. */
export const StationExport = z.object({
  fileName: z.string(),
  mediaType: z.string(),
  runs: z.number().int().min(0),
  contentBase64: z.string(),
});
export type StationExport = z.infer<typeof StationExport>;
