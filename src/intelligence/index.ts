/** What the intelligence layer offers the layers above (twin, decisioning, interfaces). */
export type { CsvTable } from './tabular/csv-table.js';
export { readCsvTable, parseCsvTable } from './tabular/csv-table.js';
export type { TabularModelDocument, LearnerName } from './model/model-document.js';
export { MODEL_FORMAT, MODEL_VERSION } from './model/model-document.js';
export type { TrainOptions } from './model/train-tabular-model.js';
export { trainTabularModel } from './model/train-tabular-model.js';
export { crossValidateTable } from './model/cross-validate.js';
export { loadModel, parseModel, saveModel } from './model/model-file.js';
export type { RecordScore, TabularScorer } from './model/tabular-scorer.js';
export { createTabularScorer } from './model/tabular-scorer.js';
export type { Contribution } from './explain/reasons.js';
export { formatReasons } from './explain/reasons.js';
export { qiniAucScore, qiniCurve, upliftAtK } from './uplift/qini.js';
export { fitTwoModel } from './uplift/two-model.js';
export { fitXLearner } from './uplift/x-learner.js';
export type { ClvInput, ClvResult } from './clv/customer-lifetime-value.js';
export { clv, monthlyHazardFromWindow } from './clv/customer-lifetime-value.js';
