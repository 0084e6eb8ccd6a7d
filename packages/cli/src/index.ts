export { run, helpText, COMMANDS } from './main.js'
export type { Io } from './output.js'
export { EXIT_OK, EXIT_KMS, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED } from './errors.js'
export { renderProgress, formatBytes, formatRate } from './progress.js'
