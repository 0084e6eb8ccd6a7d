export { levelStorage } from './level-storage.js'
export type { LevelStorageOptions } from './level-storage.js'
export { defaultLevelStorage } from './default-level-storage.js'
export type { AnyAbstractLevel } from './abstract-level-storage.js'
