export { auroc } from './auroc.js';
