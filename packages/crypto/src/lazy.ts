/**
 * A module loaded at first use instead of at start-up. The asymmetric half of each provider
 * (DER, EMSA, and on Node the @noble/curves code that ECDSA over a digest needs) is about
 * 30 modules, and the engine's asymmetric families more; a process that only encrypts
 * never loads them.
 *
 * ```ts
 * const asymmetric = lazyModule(() => import('./node-asymmetric.js'), 'await provider.loadAsymmetric() first')
 * await asymmetric.load()          // imports once; later calls resolve at once
 * asymmetric.loaded().sign(…)      // synchronous from then on
 * ```
 *
 * Each user names its own `import()` (a browser bundle must never see the node provider's
 * half), so bundlers split exactly those modules out.
 */

/** A module loaded on demand: `load()` imports it once, `loaded()` returns it or throws when not yet loaded. */
export interface LazyModule<T> {
  load(): Promise<T>
  loaded(): T
  /** The module if loaded, else undefined. */
  peek(): T | undefined
}

/** `notLoaded` is the message of the Error that `loaded()` throws before `load()` has resolved. */
export function lazyModule<T>(importModule: () => Promise<T>, notLoaded: string): LazyModule<T> {
  let module: T | undefined
  let loading: Promise<T> | undefined
  return {
    load() {
      if (module !== undefined) return Promise.resolve(module)
      loading ??= importModule().then(
        (imported) => (module = imported),
        (error: unknown) => {
          loading = undefined // a failed import (a missing chunk) may be retried
          throw error
        },
      )
      return loading
    },
    loaded() {
      if (module === undefined) {
        throw new Error(notLoaded)
      }
      return module
    },
    peek: () => module,
  }
}
