export { storageConformanceSuite } from './suite.js'
export type { StorageConformanceOptions } from './suite.js'
