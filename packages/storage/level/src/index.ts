export { levelStorage } from './level-storage.js'
export type { LevelStorageOptions } from './level-storage.js'
export type { AnyAbstractLevel } from './abstract-level-storage.js'
