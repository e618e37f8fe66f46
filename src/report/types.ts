// The report model: plain data (no Maps, no classes, no functions), so the
// live terminal UI, the markdown/CSV/JSON exporters and the SVG figures are
// all renderers of one JSON-serialisable value computed by buildReport().
import type { Boundary, DatasetName, KlForm, LstmMode, MinMax, ModelName, Score } from '../study/schema.js';
import type { JsonValue } from '../storage/storage.js';

/**
 * How one value per (model, boundary, class, contamination, seed) is chosen
 * from the grid of lambdaKl x lambdaRec (x nu):
 * - 'oracle': the grid point with the best final *test* AUROC, as the paper
 *   did. It looks at test labels, so it overstates what a user could get.
 * - 'default': the grid point named in the study's `defaultPoint`; blind to
 *   test labels.
 * - 'median': the median final AUROC over the grid points: what a typical
 *   point of the grid gives; blind to test labels.
 */
export type Selection = 'oracle' | 'default' | 'median';

export interface ReportOptions {
  readonly select: Selection;
  /** The anomaly score whose AUROC is reported; default: the study's objective. */
  readonly score?: Score;
  /** Put the paper's published value (and ours minus it) beside each covered cell. */
  readonly compare?: 'paper';
}

/** What buildReport needs of a study: a StudySummary fits. */
export interface ReportStudyInput {
  readonly name: string;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
}

/** Facts about the run of the exporter, passed in so buildReport stays pure. */
export interface ReportMeta {
  /** package.json version of iae-sweep. */
  readonly version?: string | null;
  /** Git commit of the checkout, when known. */
  readonly commit?: string | null;
  /** ISO date of the export. */
  readonly generatedAt?: string | null;
}

/** Options that are not tuned but distinguish variants of a model (a study may sweep them). */
export interface RowVariant {
  readonly 'lstm.mode'?: LstmMode;
  readonly 'kl.form'?: KlForm;
  readonly minmax?: MinMax;
}

/** One model as a table row: model, boundary and variant options. */
export interface ReportRow {
  /** Stable id: model, boundary and every variant option, e.g. "IAE-LSTM-KL|hard|kl.form=authors|lstm.mode=cell|minmax=train". */
  readonly id: string;
  readonly model: ModelName;
  readonly boundary: Boundary | null;
  readonly variant: RowVariant;
  /**
   * The paper's label, "IAE-LSTM-KL(h)", plus the variant options that take
   * more than one value in this study, "IAE-LSTM-KL(h) [kl.form=gaussian]".
   */
  readonly label: string;
  /** modelLabel() alone: the key of the paper's tables. */
  readonly paperLabel: string;
  /** The score actually reported: the requested one, or the model's own when it lacks it (CAE: rec). */
  readonly score: Score;
}

/** The tuned hyperparameters of a grid point (only those that apply to it). */
export interface TunedPoint {
  readonly lambdaKl?: number;
  readonly lambdaRec?: number;
  readonly nu?: number;
}

/** The selected value for one seed of one (row, class, contamination). */
export interface SeedResult {
  readonly seed: number;
  readonly value: number;
  /** Trials whose final AUROC the selection looked at (oracle, median: all finished points; default: the one). */
  readonly trialNumbers: readonly number[];
  /** oracle and default: the chosen point; median: null. */
  readonly point: TunedPoint | null;
  /** oracle: how many other points reached the same best value (the tie is broken by the smallest lambdaKl, lambdaRec, nu). */
  readonly ties: number;
  /** Grid points with a finished trial, and grid points of this group in the study. */
  readonly pointsUsed: number;
  readonly pointsExpected: number;
}

/**
 * One table cell. A missing cell has mean null and n 0: it is never 0.
 * Class cells carry their seeds; average cells (Avg., contamination and gate
 * tables) carry classesUsed/classesExpected instead.
 */
export interface Cell {
  /** Mean over seeds of the selected value; null when no seed has one. */
  readonly mean: number | null;
  /** Sample standard deviation over seeds; null below two seeds. */
  readonly std: number | null;
  /** Seeds behind the mean. */
  readonly n: number;
  readonly seedsExpected: number;
  /** Every grid point of every expected seed (and, for averages, every class) has finished. */
  readonly complete: boolean;
  /** Highest value of its column as printed (three decimals); ties all flagged. Partial averages never are. */
  readonly best: boolean;
  /** Per seed; empty for averages. */
  readonly seeds: readonly SeedResult[];
  /** Averages only: classes that have a value, and classes in the table. */
  readonly classesUsed?: number;
  readonly classesExpected?: number;
  /** With compare 'paper', where the paper has the cell: its value, and ours minus it (null when ours is missing). */
  readonly paper?: number;
  readonly paperTable?: string;
  readonly diff?: number | null;
}

export type TableKind = 'main' | 'ablation' | 'gates' | 'contamination';

export interface TableColumn {
  /** "class:3", "avg", "contamination:0.1". */
  readonly key: string;
  /** The header: class name, "Avg.", "AUROC", "10%". */
  readonly label: string;
  readonly kind: 'class' | 'avg' | 'contamination';
  readonly normalClass?: number;
  readonly contamination?: number;
}

export interface TableRow {
  readonly row: ReportRow;
  /** The row's label in this table (gate rows read "IAE-LSTM-KL(h) w/o input gate"). */
  readonly label: string;
  /** One per column, same order. */
  readonly cells: readonly Cell[];
}

/** Where a table's numbers come from. */
export interface TableProvenance {
  /** Finished trials whose final AUROC entered the selection. */
  readonly trialsUsed: number;
  /** Grid points of the table's cells without a finished trial (default: groups whose default point has none). */
  readonly pointsMissing: number;
  /** FAIL trials among the table's grid points (a failed point runs again later). */
  readonly trialsFailed: number;
  /**
   * Grid points the study's pruner stopped early (PRUNED, no COMPLETE trial):
   * done, but not candidates of any selection.
   */
  readonly pointsPruned: number;
  readonly seeds: readonly number[];
  readonly contaminations: readonly number[];
}

export interface ReportTable {
  readonly kind: TableKind;
  /** Unique within the report: "main", "ablation", "gates", "contamination". */
  readonly id: string;
  readonly title: string;
  /** The paper's table it mirrors, e.g. "Table I"; null when it has none. */
  readonly paperTable: string | null;
  /** A note the renderers print under the table (e.g. why a paper comparison is uncertain). */
  readonly notes: readonly string[];
  readonly columns: readonly TableColumn[];
  readonly rows: readonly TableRow[];
  readonly provenance: TableProvenance;
}

/** One cell of a hyperparameter grid: the final AUROC of one point, over seeds (no selection). */
export interface GridCell {
  readonly mean: number | null;
  readonly std: number | null;
  readonly n: number;
  readonly seedsExpected: number;
  /** For how many seeds the oracle picked this point. */
  readonly oracleSeeds: number;
  /** The study's defaultPoint. */
  readonly isDefault: boolean;
  readonly trialNumbers: readonly number[];
}

/** One axis of a hyperparameter grid; key null (one value, null) when no tuned axis is left for it. */
export interface GridAxis {
  readonly key: 'lambdaKl' | 'lambdaRec' | 'nu' | null;
  readonly values: readonly (number | null)[];
}

/**
 * Final AUROC over the tuned axes of one row, class and contamination.
 * x = lambdaKl and y = lambdaRec, one page per nu, when all three apply;
 * with two tuned axes they span the grid (IAEAD(s): x = nu, y = lambdaRec;
 * DSVDD-KL(s): x = lambdaKl, y = nu); with one, it is x.
 */
export interface HyperGrid {
  readonly id: string;
  readonly row: ReportRow;
  readonly normalClass: number;
  readonly className: string;
  readonly contamination: number;
  readonly x: GridAxis;
  readonly y: GridAxis;
  /** The page: nu, when nu is neither axis and applies; null otherwise. */
  readonly nu: number | null;
  /** cells[i][j]: y.values[i], x.values[j]. */
  readonly cells: readonly (readonly GridCell[])[];
}

/** Fig. 4: AUROC per joint epoch of one row, mean over classes and seeds of the selected points. */
export interface Curve {
  readonly row: ReportRow;
  readonly contamination: number;
  readonly epochs: readonly number[];
  readonly mean: readonly number[];
  readonly std: readonly (number | null)[];
  /** (class, seed) curves behind each epoch's mean. */
  readonly n: readonly number[];
  /** Classes with a curve, and classes in the study: a mean over fewer classes is not comparable. */
  readonly classes: number;
  readonly classesExpected: number;
}

export type StateName = 'WAITING' | 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL';

export interface Progress {
  /** Trials per state (a failed point that runs again counts twice). */
  readonly states: Readonly<Record<StateName, number>>;
  readonly trials: number;
  /** Grid points of the study (from its definition; else the points seen). */
  readonly pointsExpected: number;
  readonly pointsComplete: number;
  /** Points stopped by the pruner (PRUNED, no COMPLETE trial): finished, without a final AUROC. */
  readonly pointsPruned: number;
  /** Points no trial was made for yet (the study grew, or the sweep never enqueued them). */
  readonly pointsNotEnqueued: number;
  readonly byRow: readonly {
    readonly rowId: string;
    readonly label: string;
    readonly complete: number;
    readonly expected: number;
  }[];
}

/** The best finished trial of one row so far (by the row's score). */
export interface BestTrial {
  readonly rowId: string;
  readonly label: string;
  readonly trialNumber: number;
  readonly value: number;
  readonly score: Score;
  readonly normalClass: number;
  readonly className: string;
  readonly contamination: number;
  readonly seed: number;
  readonly point: TunedPoint;
}

export interface ReportProvenance {
  readonly study: string;
  readonly definitionHash: string | null;
  readonly backends: readonly string[];
  readonly epochs: {
    /** From the study definition. */
    readonly pretrain: number | null;
    readonly joint: number | null;
    /** The longest AUROC history seen in the trials. */
    readonly observedJoint: number | null;
  };
  readonly version: string | null;
  readonly commit: string | null;
  readonly generatedAt: string | null;
  /**
   * Trials left out of every table and figure: `foreign` carry no valid grid
   * point of ours (added from Optuna: enqueue_trial, GridSampler, add_trial);
   * `removed` are ours, of points the definition in force no longer has.
   */
  readonly ignored: { readonly foreign: number; readonly removed: number };
  /** Points with more than one COMPLETE trial of ours: the newest (highest trial number) is used. */
  readonly severalComplete: number;
  /** How many definitions the study has had (system attribute `definition_history`); 1 when it never changed or is unknown. */
  readonly definitions: number;
}

export interface ReportModel {
  readonly study: {
    readonly name: string;
    readonly dataset: DatasetName | null;
    readonly datasetTitle: string;
    readonly objective: Score;
    readonly description: string | null;
  };
  readonly selection: {
    readonly select: Selection;
    readonly score: Score;
    /** One sentence for captions: how the values were chosen and scored. */
    readonly caption: string;
    readonly compare: 'paper' | null;
  };
  /** The contamination of the per-class tables, curves and main grids (0 when the study has it). */
  readonly mainContamination: number | null;
  readonly tables: readonly ReportTable[];
  readonly grids: readonly HyperGrid[];
  readonly curves: readonly Curve[];
  readonly progress: Progress;
  readonly best: readonly BestTrial[];
  readonly provenance: ReportProvenance;
  /** Things a reader should know (trials without the requested score ...). */
  readonly warnings: readonly string[];
}
