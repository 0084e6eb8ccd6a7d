export { storageConformanceSuite } from './suite.js'
export type { StorageConformanceOptions } from './suite.js'
export type { TestRunner, SkipTest } from './runner.js'
export { mapStorage } from './map-storage.js'
